import test from 'ava';
import { SubdeviceOperationRefusedError, subdeviceKey, type DeviceSearchRequest, type GatewayError } from '@iotgw/domain';
import { gatewayOperationResultTopic } from '@iotgw/protocol-tencent';
import { SECRET_A, SUB_A, SUB_B, SUB_C, rig, until } from './helpers/setup.js';

test('a console change is applied, then acked as the C SDK does: status echoed, every device with result 0', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  const changes: string[] = [];
  transport.on('bindingChanged', (c) => changes.push(`${c.bound} ${c.subdevices.map(subdeviceKey).join(',')}`));
  await hub.pushChange([SUB_B, SUB_C], true);
  await hub.pushChange([SUB_B], false);
  await until(() => hub.requests.filter((r) => r.type === 'change').length === 2);
  t.deepEqual(changes, ['true SUBPRODAAA/sub-b,SUBPRODCCC/sub_c', 'false SUBPRODAAA/sub-b']);
  t.deepEqual(
    hub.requests.filter((r) => r.type === 'change'),
    [
      { type: 'change', status: 1, devices: [{ subdevice: SUB_B, result: 0 }, { subdevice: SUB_C, result: 0 }] },
      { type: 'change', status: 0, devices: [{ subdevice: SUB_B, result: 0 }] },
    ],
  );
});

test('unbind_all: every subdevice topic is let go, allUnbound is emitted, the ack says result 0', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add(subdeviceKey(SUB_A));
  await transport.online([SUB_A]);
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(Buffer.from(d.payload).toString()));
  let allUnbound = 0;
  transport.on('allUnbound', () => allUnbound++);
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('{"before":1}'));
  await until(() => downlinks.length === 1);
  await hub.pushUnbindAll();
  await until(() => allUnbound === 1 && hub.requests.some((r) => r.type === 'unbind_all'));
  t.deepEqual(hub.requests.filter((r) => r.type === 'unbind_all'), [{ type: 'unbind_all', result: 0 }]);
  // Unsubscribed: a downlink on its topic no longer reaches the gateway.
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('{"after":1}'));
  await hub.pushChange([SUB_C], true); // a marker that arrives after the downlink would have
  await until(() => hub.requests.filter((r) => r.type === 'change').length === 1);
  t.deepEqual(downlinks, ['{"before":1}']);
});

test('search_devices start and stop are acked with their status and result 0, and raised as deviceSearch', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  const searches: DeviceSearchRequest[] = [];
  transport.on('deviceSearch', (s) => searches.push(s));
  await hub.pushSearch(1);
  await hub.pushSearch(0);
  await until(() => hub.requests.filter((r) => r.type === 'search_devices').length === 2);
  t.deepEqual(searches, [{ status: 1, searching: true }, { status: 0, searching: false }]);
  t.deepEqual(hub.requests.filter((r) => r.type === 'search_devices'), [
    { type: 'search_devices', status: 1, result: 0 },
    { type: 'search_devices', status: 0, result: 0 },
  ]);
});

test('malformed, wrongly typed and huge pushes of these types never crash the transport and get no ack', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  const errors: GatewayError[] = [];
  transport.on('error', (e) => errors.push(e));
  const topic = gatewayOperationResultTopic(transport.gateway);
  const hostile = [
    '{"type":"change"}',
    '{"type":"change","payload":{"status":"x","devices":[]}}',
    '{"type":"change","payload":{"status":1,"devices":{"product_id":1}}}',
    '{"type":"change","payload":{"status":1,"devices":[null,1,"x"]}}',
    '{"type":"search_devices"}',
    '{"type":"search_devices","payload":{"status":{}}}',
    '{"type":"search_devices","payload":"1"}',
    '{"type":"unbind_all"',
    '{"type":["unbind_all"]}',
    `{"type":"change","payload":{"status":1,"devices":[${Array.from({ length: 20_000 }, () => '{"product_id":"P","device_name":"d"}').join(',')}]}}`,
    `{"type":"search_devices","payload":{"status":1,"pad":"${'x'.repeat(300_000)}"}}`,
  ];
  for (const payload of hostile) await hub.publish(topic, payload);
  await hub.pushSearch(1); // the marker: a good push after the garbage is still answered
  await until(() => hub.requests.some((r) => r.type === 'search_devices'));
  t.is(transport.state, 'connected');
  t.deepEqual(hub.requests.map((r) => r.type), ['search_devices']);
  t.true(errors.length >= 1);
  t.deepEqual((await transport.online([SUB_C])).map((r) => r.hubCode), [-1], 'operations still answered');
});

test('a refusal carries the named error: reason, hub code and the platform meaning', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  const [online] = await transport.online([SUB_C]);
  t.true(online?.error instanceof SubdeviceOperationRefusedError);
  t.is(online?.error?.reason, 'not_bound');
  t.is(online?.error?.hubCode, -1);
  t.is(online?.error?.operation, 'online');
  t.regex(online?.error?.message ?? '', /refused online of SUBPRODCCC\/sub_c: the gateway is not bound/);
  hub.forcedResult.set(subdeviceKey(SUB_A), -806);
  const [bind] = await transport.bind([{ subdevice: SUB_A, secret: SECRET_A }]);
  t.is(bind?.ok, false);
  t.is(bind?.error?.reason, 'bound_to_another_gateway');
  t.regex(bind?.message ?? '', /another gateway/);
  hub.forcedResult.delete(subdeviceKey(SUB_A));
  const [ok] = await transport.bind([{ subdevice: SUB_A, secret: SECRET_A }]);
  t.is(ok?.ok, true);
  t.is(ok?.error, undefined);
});
