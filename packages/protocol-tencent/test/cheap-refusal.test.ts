// A hub (or anyone who can publish on the gateway's topics) may send thousands of bad messages a
// second. Refusing one must cost little: no Error (whose stack trace is the costliest part of a
// refusal) until someone asks for it, and no JSON.parse (whose SyntaxError carries a stack trace
// too) for bytes that cannot be a JSON object. These tests count the work, not the time.
import test from 'ava';
import { HubProtocolError } from '@iotgw/domain';
import { decodeGatewayReply, decodeOtaHubMessage, decodeShadowHubMessage, decodeTimeReply, DecodeRefusal, parseJsonObject, type DecodeResult } from '../src/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs `body` with JSON.parse counted (restored after, whatever happens). */
function countingJsonParse<T>(body: () => T): { result: T; parses: number } {
  const original = JSON.parse;
  let parses = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    parses += 1;
    return original(text, reviver);
  }) as typeof JSON.parse;
  try {
    return { result: body(), parses };
  } finally {
    JSON.parse = original;
  }
}

function refusalOf<T>(r: DecodeResult<T>): DecodeRefusal {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.value)}`);
  return r;
}

test('a refusal holds no Error until asked: its reason is free, the HubProtocolError is made on first read and kept', (t) => {
  const garbage = ['{"type":42}', '{"type":"online","payload":7}', 'not json', '', '{"type":'];
  for (const text of garbage) {
    const r = refusalOf(decodeGatewayReply(bytes(text)));
    t.false(
      Object.values(r).some((v) => v instanceof Error),
      `${JSON.stringify(text)}: no Error (and no stack trace) is made while refusing`,
    );
    const error = r.error;
    t.true(error instanceof HubProtocolError);
    t.is(error.code, 'hub.protocol');
    t.is(error.message, r.reason);
    t.is(r.error, error, 'made once, then kept');
  }
  const oversize = refusalOf(parseJsonObject('{"a":"' + 'x'.repeat(200) + '"}', { maxBytes: 100 }));
  t.deepEqual(oversize.error.details, { size: 208, maxBytes: 100 }, 'details reach the error');
});

test('bytes that cannot be a JSON object are refused without JSON.parse: binary, text, arrays, numbers, truncated or unterminated objects', (t) => {
  const cannot = [
    new Uint8Array([0x00, 0xff, 0x7b, 0x10]),
    new Uint8Array([0x7b, 0x22, 0xff]), // starts like an object, ends in the middle of nowhere
    new Uint8Array(0),
    bytes('   \r\n\t '),
    bytes('hello'),
    bytes('[{"type":"online"}]'),
    bytes('42'),
    bytes('"{}"'),
    bytes('{"type":"online","payload":{"devices":[]'), // truncated
    bytes('{"type":"online","result":0'),
    bytes('{"type":"online","payload":"' + 'A'.repeat(10_000)), // starts like JSON and never ends
  ];
  for (const payload of cannot) {
    for (const decode of [decodeGatewayReply, decodeOtaHubMessage, decodeShadowHubMessage, decodeTimeReply]) {
      const { result, parses } = countingJsonParse(() => decode(payload));
      t.false(result.ok, `${decode.name} refuses ${Buffer.from(payload).subarray(0, 40).toString('hex')}`);
      t.is(parses, 0, `${decode.name}: refused before JSON.parse`);
    }
    const asText = Buffer.from(payload).toString('latin1');
    t.is(countingJsonParse(() => parseJsonObject(asText)).parses, 0, 'the same for a string payload');
  }
});

test('the pre-check keeps the refusal reasons and lets through every object JSON.parse would read (whitespace around it included)', (t) => {
  t.is(refusalOf(parseJsonObject(bytes('[1]'))).reason, 'payload must be a JSON object');
  t.is(refusalOf(parseJsonObject(bytes(''))).reason, 'payload must be a JSON object');
  t.regex(refusalOf(parseJsonObject(bytes('{"type":'))).reason, /not valid JSON/);
  t.regex(refusalOf(parseJsonObject(bytes('{"a":1,}'))).reason, /not valid JSON/, 'braced but invalid inside: JSON.parse decides');
  t.is(refusalOf(parseJsonObject(new Uint8Array([0x7b, 0xff, 0x7d]))).reason, 'payload is not valid UTF-8');
  for (const text of ['{}', ' \n{"a":1}\r\n\t', '{"a":{"b":[1,2,{}]}}', '{"é":"ü"}']) {
    const { result, parses } = countingJsonParse(() => parseJsonObject(bytes(text)));
    t.true(result.ok, text);
    t.is(parses, 1);
    t.deepEqual(result.ok ? result.value : undefined, JSON.parse(text) as unknown);
  }
  t.true(parseJsonObject(' {"a":1} ').ok, 'strings too');
});
