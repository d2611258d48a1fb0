import test from 'ava';
import {
  decodeGatewayReply,
  decodeGatewayRequest,
  encodeGatewayReply,
  encodeGatewayRequest,
  encodeTopologyAck,
  type GatewayReply,
  type TopologyAck,
} from '../src/index.js';

const P = { productId: 'ABCDEFGHIJ', deviceName: 'sub1' };
const Q = { productId: 'KLMNOPQRST', deviceName: 'sub2' };

/**
 * What the vendor C SDK (sdk_src/services/gateway/gateway_common.c) prints, format string by
 * format string with its spaces: `_gateway_ack_change` ("{\"type\":\"change\", \"payload\":{\"status\":%d,
 * \"devices\":[" + "{\"product_id\":\"%s\",\"device_name\":\"%s\",\"result\":%d}" joined by "," + "]}}"),
 * `_gateway_subdev_unbind_all_reply` ("{\"type\":\"%s\", \"payload\":{\"result\":%d}}" with "unbind_all"),
 * `_gateway_ack_search` ("{\"type\":\"search_devices\", \"payload\":{\"status\":%d, \"result\":%d}}").
 */
const SDK_ACKS: Array<[TopologyAck, string]> = [
  [
    { type: 'change', status: 0, devices: [{ subdevice: P, result: 0 }] },
    '{"type":"change", "payload":{"status":0, "devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1","result":0}]}}',
  ],
  [
    { type: 'change', status: 1, devices: [{ subdevice: P, result: 0 }, { subdevice: Q, result: 0 }] },
    '{"type":"change", "payload":{"status":1, "devices":[{"product_id":"ABCDEFGHIJ","device_name":"sub1","result":0},{"product_id":"KLMNOPQRST","device_name":"sub2","result":0}]}}',
  ],
  [{ type: 'change', status: 1, devices: [] }, '{"type":"change", "payload":{"status":1, "devices":[]}}'],
  [{ type: 'unbind_all', result: 0 }, '{"type":"unbind_all", "payload":{"result":0}}'],
  [{ type: 'search_devices', status: 1, result: 0 }, '{"type":"search_devices", "payload":{"status":1, "result":0}}'],
  [{ type: 'search_devices', status: 0, result: 0 }, '{"type":"search_devices", "payload":{"status":0, "result":0}}'],
];

for (const [ack, wire] of SDK_ACKS) {
  test(`ack ${wire}: the C SDK's bytes, and the hub side reads it back`, (t) => {
    t.is(encodeTopologyAck(ack), wire);
    t.is(encodeGatewayRequest(ack), wire);
    t.deepEqual(decodeGatewayRequest(wire), { ok: true, value: ack });
  });
}

const PUSHES: Array<[GatewayReply, string]> = [
  [{ type: 'unbind_all' }, '{"type":"unbind_all"}'],
  [{ type: 'search_devices', status: 1 }, '{"type":"search_devices","payload":{"status":1}}'],
  [{ type: 'search_devices', status: 0 }, '{"type":"search_devices","payload":{"status":0}}'],
];

for (const [push, wire] of PUSHES) {
  test(`push ${wire}: encodes and decodes`, (t) => {
    t.is(encodeGatewayReply(push), wire);
    t.deepEqual(decodeGatewayReply(wire), { ok: true, value: push });
  });
}

test('unbind_all from the hub needs no payload (the SDK reads only "type"); a payload is ignored', (t) => {
  t.deepEqual(decodeGatewayReply('{"type":"unbind_all","payload":{"x":1}}'), { ok: true, value: { type: 'unbind_all' } });
});

test('search_devices without an integer payload.status is refused (the SDK then sends no ack either)', (t) => {
  for (const wire of ['{"type":"search_devices"}', '{"type":"search_devices","payload":{}}', '{"type":"search_devices","payload":{"status":"on"}}', '{"type":"search_devices","payload":[1]}']) {
    const r = decodeGatewayReply(wire);
    t.false(r.ok, wire);
  }
  t.deepEqual(decodeGatewayReply('{"type":"search_devices","payload":{"status":"1"}}'), { ok: true, value: { type: 'search_devices', status: 1 } });
});

test('acks the hub cannot read are refused with the field named', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['{"type":"unbind_all"}', /payload/],
    ['{"type":"unbind_all","payload":{"result":"x"}}', /result/],
    ['{"type":"search_devices","payload":{"result":0}}', /status/],
    ['{"type":"change","payload":{"status":2,"devices":[]}}', /0 or 1/],
    ['{"type":"change","payload":{"status":1}}', /devices/],
    ['{"type":"change","payload":{"status":1,"devices":[{"product_id":"P"}]}}', /devices\[0\]/],
  ];
  for (const [wire, reason] of cases) {
    const r = decodeGatewayRequest(wire);
    t.false(r.ok, wire);
    if (!r.ok) t.regex(r.error.message, reason, wire);
  }
});
