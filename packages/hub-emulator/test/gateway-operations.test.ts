import test from 'ava';
import { readFile } from 'node:fs/promises';
import { gatewayOperationResultTopic } from '@iotgw/protocol-tencent';
import { EMULATOR_RESULT } from '../src/index.js';
import { bindEntry, connectGateway, GW, GW2, startHub, sub, SUB1, SUB2 } from './helpers.js';

const dev = (d: { productId: string; deviceName: string }) => ({ product_id: d.productId, device_name: d.deviceName });

test('online and offline of a bound subdevice succeed with result 0 and payload.devices', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const online = await gw.request({ type: 'online', devices: [sub(SUB1)] });
    t.deepEqual(online, { type: 'online', payload: { devices: [{ ...dev(SUB1), result: 0 }] } });
    t.true(fx.hub.isOnline(SUB1.productId, SUB1.deviceName));
    const offline = await gw.request({ type: 'offline', devices: [sub(SUB1)] });
    t.deepEqual(offline.payload.devices, [{ ...dev(SUB1), result: 0 }]);
    t.false(fx.hub.isOnline(SUB1.productId, SUB1.deviceName));
  } finally {
    await fx.cleanup();
  }
});

test('a batch gets one result per device: bound 0, not bound -1, unknown device -802', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const unknown = { productId: 'SB00000001', deviceName: 'ghost' };
    const reply = await gw.request({ type: 'online', devices: [sub(SUB1), sub(SUB2), unknown] });
    t.deepEqual(reply.payload.devices, [
      { ...dev(SUB1), result: 0 },
      { ...dev(SUB2), result: EMULATOR_RESULT.notBound },
      { ...dev(unknown), result: EMULATOR_RESULT.unknownDevice },
    ]);
    t.is(EMULATOR_RESULT.notBound, -1);
    const offline = await gw.request({ type: 'offline', devices: [sub(SUB2)] });
    t.is(offline.payload.devices[0].result, -1);
  } finally {
    await fx.cleanup();
  }
});

test('bind with a valid signature (sha1 and sha256) binds, persists, and a repeat bind is 0', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const reply = await gw.request({ type: 'bind', devices: [bindEntry(SUB2, { signMethod: 'hmacsha256' })] });
    t.deepEqual(reply, { type: 'bind', payload: { devices: [{ ...dev(SUB2), result: 0 }] } });
    t.true(fx.hub.registry.isBound('GW00000001/gw1', 'SB00000001/test2'));
    await fx.hub.registry.flush();
    const onDisk = JSON.parse(await readFile(fx.registryPath, 'utf8'));
    t.true(onDisk.bindings.some((b: any) => b.subdevice === 'SB00000001/test2'));
    const again = await gw.request({ type: 'bind', devices: [bindEntry(SUB2)] });
    t.is(again.payload.devices[0].result, 0);
  } finally {
    await fx.cleanup();
  }
});

test("bind refusals with the platform's codes: bad signature -803, stale timestamp -805, unknown device -802, per device in one batch", async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const ghost = { productId: 'SB00000001', deviceName: 'ghost', deviceSecret: SUB2.deviceSecret };
    const reply = await gw.request({
      type: 'bind',
      devices: [
        bindEntry(SUB2, { secret: 'not-the-secret' }),
        bindEntry(SUB2, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
        bindEntry(ghost),
      ],
    });
    t.deepEqual(
      reply.payload.devices.map((d: any) => d.result),
      [EMULATOR_RESULT.badSignature, EMULATOR_RESULT.staleTimestamp, EMULATOR_RESULT.unknownDevice],
    );
    t.deepEqual(reply.payload.devices.map((d: any) => d.result), [-803, -805, -802]);
    t.false(fx.hub.registry.isBound('GW00000001/gw1', 'SB00000001/test2'));
  } finally {
    await fx.cleanup();
  }
});

test('unbind a bound subdevice is 0 and takes it offline; unbinding again is -1', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const reply = await gw.request({ type: 'unbind', devices: [sub(SUB1)] });
    t.deepEqual(reply.payload.devices, [{ ...dev(SUB1), result: 0 }]);
    t.false(fx.hub.registry.isBound('GW00000001/gw1', 'SB00000001/test1'));
    t.false(fx.hub.isOnline(SUB1.productId, SUB1.deviceName));
    const again = await gw.request({ type: 'unbind', devices: [sub(SUB1)] });
    t.is(again.payload.devices[0].result, -1);
  } finally {
    await fx.cleanup();
  }
});

test('describe_sub_devices lists the bound subdevices in payload.devices (empty list too)', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const reply = await gw.request({ type: 'describe_sub_devices' });
    t.deepEqual(reply, { type: 'describe_sub_devices', payload: { devices: [dev(SUB1)] } });
    await fx.hub.registry.unbind('GW00000001/gw1', 'SB00000001/test1');
    const empty = await gw.request({ type: 'describe_sub_devices' });
    t.deepEqual(empty, { type: 'describe_sub_devices', payload: { devices: [] } });
  } finally {
    await fx.cleanup();
  }
});

test('a malformed request of a known type is answered -801 (request parameter error) and counted', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const reply = await gw.request('{"type":"bind","payload":{"devices":[{"product_id":"SB00000001","device_name":"test2"}]}}');
    t.deepEqual(reply.payload.devices, [{ ...dev(SUB2), result: EMULATOR_RESULT.parameterError }]);
    t.is(EMULATOR_RESULT.parameterError, -801);
    t.is(fx.hub.stats.protocolErrors, 1);
  } finally {
    await fx.cleanup();
  }
});

test('console bind and unbind push change status 1 and 0 to the gateway', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const bound = gw.next('change');
    t.true(await fx.hub.core.consoleBind({ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/test2' }));
    t.deepEqual(await bound, { type: 'change', payload: { status: 1, devices: [dev(SUB2)] } });
    const unbound = gw.next('change');
    t.true(await fx.hub.core.consoleUnbind({ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/test2' }));
    t.deepEqual(await unbound, { type: 'change', payload: { status: 0, devices: [dev(SUB2)] } });
    t.is(gatewayOperationResultTopic(GW), '$gateway/operation/result/GW00000001/gw1');
  } finally {
    await fx.cleanup();
  }
});

test('binding a subdevice held by another gateway moves it and tells the old gateway (change 0)', async (t) => {
  const fx = await startHub();
  try {
    const gw1 = await connectGateway(fx);
    const gw2 = await connectGateway(fx, GW2);
    const lost = gw1.next('change');
    const reply = await gw2.request({ type: 'bind', devices: [bindEntry(SUB1)] });
    t.is(reply.payload.devices[0].result, 0);
    t.deepEqual(await lost, { type: 'change', payload: { status: 0, devices: [dev(SUB1)] } });
    t.is(fx.hub.registry.gatewayOf('SB00000001/test1'), 'GW00000002/gw2');
  } finally {
    await fx.cleanup();
  }
});
