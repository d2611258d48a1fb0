import test from 'ava';
import { once } from 'node:events';
import { encodeTopologyAck, gatewayOperationTopic } from '@iotgw/protocol-tencent';
import type { TopologyAckRecord } from '../src/index.js';
import { adminCall, connectGateway, GW, startHub, sub, SUB1 } from './helpers.js';

const call = adminCall;

test('admin API "unbind all": the registry drops every binding of the gateway, then unbind_all is pushed; the ack is recorded', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const pushed = gw.next('unbind_all');
    const res = await call(fx.hub, 'POST', '/api/unbind-all', { gateway: 'GW00000001/gw1' });
    t.is(res.status, 200);
    t.deepEqual(res.json, { unbound: ['SB00000001/test1'] });
    t.deepEqual(await pushed, { type: 'unbind_all' });
    t.deepEqual(fx.hub.registry.subdevicesOf('GW00000001/gw1'), []);
    t.false(fx.hub.isOnline(SUB1.productId, SUB1.deviceName), 'unbound: no longer online through the gateway');
    // The gateway answers as the C SDK does; the emulator sends nothing back and records it.
    const acked = once(fx.hub.core, 'topologyAck') as Promise<[TopologyAckRecord]>;
    await gw.client.publishAsync(gatewayOperationTopic(GW), encodeTopologyAck({ type: 'unbind_all', result: 0 }), { qos: 0 });
    const [record] = await acked;
    t.like(record, { gateway: 'GW00000001/gw1', type: 'unbind_all', result: 0 });
    t.like((await call(fx.hub, 'GET', '/api/topology-acks')).json, { total: 1, acks: [{ type: 'unbind_all', result: 0 }] });
    t.is(fx.hub.stats.protocolErrors, 0, 'an ack is not a malformed request');
    t.is(gw.replies.filter((r) => r.type !== 'online' && r.type !== 'unbind_all').length, 0, 'no reply to an ack');
  } finally {
    await fx.cleanup();
  }
});

test('admin API "search devices": start and stop pushed with their status; acks recorded with theirs', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const start = gw.next('search_devices');
    t.is((await call(fx.hub, 'POST', '/api/search-devices', { gateway: 'GW00000001/gw1', status: 1 })).status, 200);
    t.deepEqual(await start, { type: 'search_devices', payload: { status: 1 } });
    const stop = gw.next('search_devices');
    t.is((await call(fx.hub, 'POST', '/api/search-devices', { gateway: 'GW00000001/gw1', status: 0 })).status, 200);
    t.deepEqual(await stop, { type: 'search_devices', payload: { status: 0 } });
    const acked = once(fx.hub.core, 'topologyAck') as Promise<[TopologyAckRecord]>;
    await gw.client.publishAsync(gatewayOperationTopic(GW), encodeTopologyAck({ type: 'search_devices', status: 0, result: 0 }), { qos: 0 });
    t.like((await acked)[0], { type: 'search_devices', status: 0, result: 0 });
  } finally {
    await fx.cleanup();
  }
});

test('a change ack names each device with its result', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const acked = once(fx.hub.core, 'topologyAck') as Promise<[TopologyAckRecord]>;
    await gw.client.publishAsync(gatewayOperationTopic(GW), encodeTopologyAck({ type: 'change', status: 0, devices: [{ subdevice: sub(SUB1), result: 0 }] }), { qos: 0 });
    t.like((await acked)[0], { type: 'change', status: 0, devices: [{ subdevice: 'SB00000001/test1', result: 0 }] });
  } finally {
    await fx.cleanup();
  }
});

test('admin API refusals name the field: unknown gateway, status not an integer', async (t) => {
  const fx = await startHub();
  try {
    const unknown = await call(fx.hub, 'POST', '/api/unbind-all', { gateway: 'GW00000009/nope' });
    t.is(unknown.status, 400);
    t.regex(unknown.json.error, /gateway GW00000009\/nope is not in the registry/);
    const bad = await call(fx.hub, 'POST', '/api/search-devices', { gateway: 'GW00000001/gw1', status: 'on' });
    t.is(bad.status, 400);
    t.regex(bad.json.error, /"status" must be an integer/);
    t.is((await call(fx.hub, 'POST', '/api/unbind-all', {})).status, 400);
  } finally {
    await fx.cleanup();
  }
});
