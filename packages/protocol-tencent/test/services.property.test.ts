// Property-based tests (fast-check) of the hub topics of the device services (RRPC, broadcast,
// system): whatever topic arrives, parseTopic answers a value or undefined, never throws, and what
// it accepts means what the gateway relies on.
import test from 'ava';
import fc from 'fast-check';
import { decodeShadowDeviceMessage, decodeShadowHubMessage, decodeTimeReply, isTimeRequest, isValidRrpcProcessId, parseRrpcRequestFilter, parseTopic, rrpcReplyTopic, rrpcRequestFilter, rrpcRequestTopic } from '../src/index.js';

const RUNS = Number(process.env['IOTGW_FUZZ_RUNS'] ?? 1_000);
const prefixes = ['$rrpc/rxd/', '$rrpc/txd/', '$broadcast/rxd/', '$sys/operation/', '$sys/operation/result/'];
const level = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('ABCDEFGHIJ', 'dev-1', '+', '#', '', '469', '9'.repeat(33), 'a b', '..'));
const serviceTopic = fc.tuple(fc.constantFrom(...prefixes), fc.array(level, { maxLength: 5 })).map(([prefix, levels]) => prefix + levels.join('/'));

test('service topics: any topic parses to a valid kind with a valid device and process id, or undefined; never a throw', (t) => {
  fc.assert(
    fc.property(fc.oneof(serviceTopic, fc.string({ maxLength: 600 })), (topic) => {
      const parsed = parseTopic(topic);
      parseRrpcRequestFilter(topic);
      if (!parsed) return true;
      if (parsed.kind === 'rrpc-request') return isValidRrpcProcessId(parsed.processId) && rrpcRequestTopic(parsed.device, parsed.processId) === topic;
      if (parsed.kind === 'rrpc-reply') return isValidRrpcProcessId(parsed.processId) && rrpcReplyTopic(parsed.device, parsed.processId) === topic;
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('RRPC: every valid process id round-trips through the request and reply topics and the filter', (t) => {
  const device = { productId: 'ABCDEFGHIJ', deviceName: 'dev-1' };
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), (processId) => {
      const request = parseTopic(rrpcRequestTopic(device, processId));
      const reply = parseTopic(rrpcReplyTopic(device, processId));
      return request?.kind === 'rrpc-request' && reply?.kind === 'rrpc-reply' && 'processId' in request && request.processId === processId;
    }),
    { numRuns: RUNS },
  );
  t.deepEqual(parseRrpcRequestFilter(rrpcRequestFilter(device)), device);
});

const jsonish = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.constantFrom('{"type":"delta","payload":{"state":{"a":1},"version":3}}', '{"type":"get","result":0,"clientToken":"t","payload":{"state":{"reported":{},"delta":{"x":null}},"version":1}}', '{"type":"get","time":1,"ntptime1":1000}'),
  fc.string({ maxLength: 200 }),
);
const payload = fc.oneof(
  jsonish,
  jsonish.map((j) => j.replace(/\d+/, '"x"')),
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 65 * 1024, max: 200 * 1024 }).map((n) => '{"type":"delta","payload":{"state":{"a":"' + 'x'.repeat(n) + '"},"version":1}}'),
);

test('shadow and time decoders: any payload (malformed JSON, wrong types, huge) decodes or is refused with hub.protocol, never throws', (t) => {
  fc.assert(
    fc.property(payload, (p) => {
      for (const r of [decodeShadowHubMessage(p), decodeShadowDeviceMessage(p), decodeTimeReply(p)]) {
        if (!r.ok && r.error.code !== 'hub.protocol') return false;
      }
      const delta = decodeShadowHubMessage(p);
      if (delta.ok && delta.value.type === 'delta' && (typeof delta.value.state !== 'object' || !Number.isSafeInteger(delta.value.version))) return false;
      isTimeRequest(p);
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});
