import test from 'ava';
import {
  decodeShadowDeviceMessage,
  decodeShadowHubMessage,
  decodeTimeReply,
  encodeShadowDelta,
  encodeShadowGet,
  encodeShadowReply,
  encodeShadowUpdate,
  encodeTimeReply,
  encodeTimeRequest,
  hubTimeAtReceipt,
  isTimeRequest,
} from '../src/index.js';

test('shadow: the gateway sends the SDK shapes (get, update reported, clear desired)', (t) => {
  t.is(encodeShadowGet('PID-0'), '{"type":"get","clientToken":"PID-0"}');
  t.is(encodeShadowUpdate({ clientToken: 'PID-1', reported: { updateCount: 0 } }), '{"type":"update","state":{"reported":{"updateCount":0}},"clientToken":"PID-1"}');
  t.is(encodeShadowUpdate({ clientToken: 'PID-2', clearDesired: true }), '{"type":"update","state":{"desired":null},"clientToken":"PID-2"}');
});

test('shadow: the doc examples decode (delta push, get reply with delta, the C SDK log reply)', (t) => {
  const delta = decodeShadowHubMessage('{"type":"delta","timestamp":1514967076,"payload":{"state":{"temperature":25},"metadata":{"temperature":{"timestamp":1514967076}},"version":3,"timestamp":1514967076}}');
  t.deepEqual(delta.ok && delta.value, { type: 'delta', version: 3, state: { temperature: 25 } });
  const get = decodeShadowHubMessage(
    '{"type":"get","result":0,"timestamp":1514967088,"clientToken":"c-1","payload":{"state":{"reported":{"t":1},"desired":{"t":2},"delta":{"t":2}},"metadata":{},"version":1,"timestamp":1514967076}}',
  );
  t.like(get.ok && get.value, { type: 'reply', operation: 'get', result: 0, clientToken: 'c-1', version: 1, reported: { t: 1 }, desired: { t: 2 }, delta: { t: 2 } });
  const log = decodeShadowHubMessage('{"clientToken":"S3EUVBRJLB-0","payload":{"state":{"reported":{}},"timestamp":1568695800,"version":0},"result":0,"timestamp":1568695800,"type":"get"}');
  t.like(log.ok && log.value, { operation: 'get', version: 0, reported: {}, desired: undefined, delta: undefined });
  const conflict = decodeShadowHubMessage('{"type":"update","result":5005,"clientToken":"c-2","payload":{"state":{"reported":{}},"version":7}}');
  t.like(conflict.ok && conflict.value, { result: 5005, version: 7 });
});

test('shadow: malformed hub messages are refused with hub.protocol, never thrown', (t) => {
  for (const bad of ['', '[]', '{"type":"delta"}', '{"type":"delta","payload":{"state":[],"version":1}}', '{"type":"delta","payload":{"state":{},"version":-1}}', '{"type":"get","result":0}', '{"type":"update","clientToken":"x"}', '{"type":"nope"}', '{"type":"delta","payload":{"state":{"a":1},"version":"x"}}']) {
    const r = decodeShadowHubMessage(bad);
    t.false(r.ok, bad);
    if (!r.ok) t.is(r.error.code, 'hub.protocol');
  }
});

test('shadow: the hub side reads device requests and writes replies and deltas that the gateway side reads back', (t) => {
  t.deepEqual(decodeShadowDeviceMessage('{"type": "get", "clientToken":"S3EUVBRJLB-0"}'), { ok: true, value: { type: 'get', clientToken: 'S3EUVBRJLB-0' } });
  const clear = decodeShadowDeviceMessage('{"type":"update", "state":{"reported":{"k":1},"desired": null}, "clientToken":"PID-N"}');
  t.like(clear.ok && clear.value, { type: 'update', reported: { k: 1 }, desired: null, version: undefined });
  t.false(decodeShadowDeviceMessage('{"type":"update","state":{"desired":3},"clientToken":"a"}').ok);
  const reply = decodeShadowHubMessage(encodeShadowReply({ operation: 'update', result: 0, clientToken: 'a', timestamp: 1, version: 4, state: { reported: { k: 1 } } }));
  t.like(reply.ok && reply.value, { operation: 'update', version: 4, reported: { k: 1 } });
  const delta = decodeShadowHubMessage(encodeShadowDelta({ version: 5, state: { led: 1 }, timestamp: 2 }));
  t.deepEqual(delta.ok && delta.value, { type: 'delta', version: 5, state: { led: 1 } });
});

test('time: request shape, the doc reply, and the NTP vector (1700000000600 ms)', (t) => {
  t.is(encodeTimeRequest(), '{"type":"get","resource":["time"]}');
  t.true(isTimeRequest('{"type": "get", "resource": ["time"]}'), 'the C SDK spelling');
  t.false(isTimeRequest('{"type":"get","resource":["other"]}'));
  const reply = decodeTimeReply('{"type":"get","time":1621562342,"ntptime1":1621562342773,"ntptime2":1621562342773}');
  t.deepEqual(reply.ok && reply.value, { time: 1621562342, ntptime1: 1621562342773, ntptime2: 1621562342773 });
  t.is(hubTimeAtReceipt({ time: 1700000000, ntptime1: 1700000000500, ntptime2: 1700000000500 }, 1700000000000, 1700000000200), 1700000000600);
  t.is(hubTimeAtReceipt({ time: 1700000000, ntptime1: undefined, ntptime2: undefined }, 0, 0), 1700000000000);
  const ours = decodeTimeReply(encodeTimeReply(1700000000123));
  t.deepEqual(ours.ok && ours.value, { time: 1700000000, ntptime1: 1700000000123, ntptime2: 1700000000123 });
  for (const bad of ['{"type":"get"}', '{"time":1}', '{"type":"get","time":-5}', 'x']) t.false(decodeTimeReply(bad).ok, bad);
});
