import test from 'ava';
import {
  decodeGatewayReply,
  decodeGatewayRequest,
  describeGatewayResult,
  GATEWAY_RESULT,
  encodeGatewayReply,
  encodeGatewayRequest,
  type GatewayReply,
  type GatewayRequest,
} from '../src/index.js';

const P = { productId: 'ABCDEFGHIJ', deviceName: 'sub1' };
const Q = { productId: 'KLMNOPQRST', deviceName: 'sub2' };

const requests: Array<[GatewayRequest, string]> = [
  [{ type: 'online', devices: [P] }, '{"type":"online","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1"}]}}'],
  [
    { type: 'offline', devices: [P, Q] },
    '{"type":"offline","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1"},{"product_id":"KLMNOPQRST","device_name":"sub2"}]}}',
  ],
  [{ type: 'unbind', devices: [Q] }, '{"type":"unbind","payload":{"devices":[{"product_id":"KLMNOPQRST","device_name":"sub2"}]}}'],
  [{ type: 'describe_sub_devices' }, '{"type":"describe_sub_devices"}'],
  [
    {
      type: 'bind',
      devices: [{ subdevice: P, signature: 'ZYbEM1rnkGPXtCGBLtAjP5Hf6iw=', random: 12345, timestamp: 1700000000, signMethod: 'hmacsha1', authType: 'psk' }],
    },
    '{"type":"bind","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1","signature":"ZYbEM1rnkGPXtCGBLtAjP5Hf6iw=","random":12345,"timestamp":1700000000,"signmethod":"hmacsha1","authtype":"psk"}]}}',
  ],
];

for (const [request, wire] of requests) {
  test(`request ${request.type} encodes byte-exact and round-trips`, (t) => {
    t.is(encodeGatewayRequest(request), wire);
    t.deepEqual(decodeGatewayRequest(wire), { ok: true, value: request });
    t.deepEqual(decodeGatewayRequest(new TextEncoder().encode(wire)), { ok: true, value: request });
  });
}

const replies: Array<[GatewayReply, string]> = [
  [
    { type: 'online', devices: [{ subdevice: P, result: 0 }] },
    '{"type":"online","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1","result":0}]}}',
  ],
  [
    { type: 'bind', devices: [{ subdevice: P, result: -1 }, { subdevice: Q, result: 0 }] },
    '{"type":"bind","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1","result":-1},{"product_id":"KLMNOPQRST","device_name":"sub2","result":0}]}}',
  ],
  [
    { type: 'describe_sub_devices', devices: [P, Q] },
    '{"type":"describe_sub_devices","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1"},{"product_id":"KLMNOPQRST","device_name":"sub2"}]}}',
  ],
  [
    { type: 'change', status: 1, devices: [P] },
    '{"type":"change","payload":{"status":1,"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1"}]}}',
  ],
  [{ type: 'change', status: 0, devices: [] }, '{"type":"change","payload":{"status":0,"devices":[]}}'],
];

for (const [reply, wire] of replies) {
  test(`reply ${wire.slice(0, 60)} encodes byte-exact and round-trips`, (t) => {
    t.is(encodeGatewayReply(reply), wire);
    t.deepEqual(decodeGatewayReply(wire), { ok: true, value: reply });
  });
}

test('replies accept result as a numeric string and a single device object', (t) => {
  const r = decodeGatewayReply('{"type":"offline","payload":{"devices":{"product_id":"ABCDEFGHIJ","device_name":"sub1","result":"-2"}}}');
  t.deepEqual(r, { ok: true, value: { type: 'offline', devices: [{ subdevice: P, result: -2 }] } });
});

test('bind requests accept numeric strings and default signmethod/authtype', (t) => {
  const r = decodeGatewayRequest(
    '{"type":"bind","payload":{"devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1","signature":"x","random":"7","timestamp":"1700000000"}]}}',
  );
  t.true(r.ok);
  if (r.ok && r.value.type === 'bind') {
    t.deepEqual(r.value.devices[0], { subdevice: P, signature: 'x', random: 7, timestamp: 1700000000, signMethod: 'hmacsha1', authType: 'psk' });
  }
});

test('describe reply without devices decodes as an empty list', (t) => {
  t.deepEqual(decodeGatewayReply('{"type":"describe_sub_devices"}'), { ok: true, value: { type: 'describe_sub_devices', devices: [] } });
});

const badReplies: Array<[string, string | Uint8Array, RegExp]> = [
  ['malformed JSON', '{"type":', /not valid JSON/],
  ['not an object', '[1,2]', /JSON object/],
  ['no type', '{"payload":{}}', /"type"/],
  ['unknown type', '{"type":"reboot"}', /unknown gateway reply type "reboot"/],
  ['no payload', '{"type":"online"}', /"payload" must be an object/],
  ['devices wrong type', '{"type":"online","payload":{"devices":"x"}}', /devices/],
  ['device not object', '{"type":"online","payload":{"devices":[1]}}', /devices\[0\] must be an object/],
  ['missing product', '{"type":"online","payload":{"devices":[{"device_name":"d","result":0}]}}', /product_id/],
  ['missing result', '{"type":"online","payload":{"devices":[{"product_id":"P","device_name":"d"}]}}', /result/],
  ['result not numeric', '{"type":"online","payload":{"devices":[{"product_id":"P","device_name":"d","result":"ok"}]}}', /result/],
  ['change bad status', '{"type":"change","payload":{"status":5,"devices":[]}}', /status/],
  ['bad utf-8', new Uint8Array([0x7b, 0xff, 0x7d]), /UTF-8/],
];

for (const [name, wire, message] of badReplies) {
  test(`reply decoder refuses: ${name}`, (t) => {
    const r = decodeGatewayReply(wire);
    t.false(r.ok);
    if (!r.ok) {
      t.is(r.error.code, 'hub.protocol');
      t.is(r.error.name, 'HubProtocolError');
      t.regex(r.error.message, message);
    }
  });
}

test('request decoder refuses bad bind entries, unknown types and a change ack without per-device results', (t) => {
  const bad = [
    '{"type":"bind","payload":{"devices":[{"product_id":"P","device_name":"d","random":1,"timestamp":1}]}}',
    '{"type":"bind","payload":{"devices":[{"product_id":"P","device_name":"d","signature":"s","random":1.5,"timestamp":1}]}}',
    '{"type":"bind","payload":{"devices":[{"product_id":"P","device_name":"d","signature":"s","random":1,"timestamp":1,"signmethod":"md5"}]}}',
    '{"type":"bind","payload":{"devices":[{"product_id":"P","device_name":"d","signature":"s","random":1,"timestamp":1,"authtype":"x"}]}}',
    // A gateway's change ack names each device with its result (the C SDK's form): one without is refused.
    '{"type":"change","payload":{"status":1,"devices":[{"product_id":"P","device_name":"d"}]}}',
    '{"type":"describe","payload":{}}',
    '{"type":"online","payload":{"devices":[{"product_id":"","device_name":"d"}]}}',
  ];
  for (const wire of bad) t.false(decodeGatewayRequest(wire).ok, wire);
});

test('oversize payloads are refused before parsing; the limit is configurable', (t) => {
  const big = `{"type":"describe_sub_devices","pad":"${'x'.repeat(70_000)}"}`;
  const r = decodeGatewayRequest(big);
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /over the 65536-byte limit/);
  t.true(decodeGatewayRequest(big, { maxBytes: 100_000 }).ok);
  t.false(decodeGatewayRequest('{"type":"describe_sub_devices"}', { maxBytes: 10 }).ok);
  t.false(decodeGatewayRequest(new TextEncoder().encode(big)).ok);
});

test('result-code table names the documented codes', (t) => {
  t.is(describeGatewayResult(0), 'success');
  t.regex(describeGatewayResult(-1), /not bound/);
  t.regex(describeGatewayResult(-2), /system error/);
  t.regex(describeGatewayResult(-99), /undocumented/);
});

test("result-code table names every platform bind code (-801..-810) with the platform's meaning", (t) => {
  t.is(describeGatewayResult(GATEWAY_RESULT.bindSignatureMismatch), "bind refused: signature does not match — check the subdevice's secret");
  t.is(GATEWAY_RESULT.bindSignatureMismatch, -803);
  const expected: Array<[number, RegExp]> = [
    [-801, /parameters/],
    [-802, /does not exist/],
    [-803, /signature does not match/],
    [-804, /sign method not supported/],
    [-805, /signature expired/],
    [-806, /bound to another gateway/],
    [-807, /cannot be bound/],
    [-808, /not permitted/],
    [-809, /already bound to this gateway/],
    [-810, /not supported/],
  ];
  for (const [code, meaning] of expected) {
    t.regex(describeGatewayResult(code), meaning, String(code));
    t.notRegex(describeGatewayResult(code), /undocumented/, String(code));
  }
  // The AT command docs print them unsigned: the same meaning.
  t.is(describeGatewayResult(803), describeGatewayResult(-803));
  t.regex(describeGatewayResult(811), /undocumented/);
  t.regex(describeGatewayResult(-4), /undocumented/);
});
