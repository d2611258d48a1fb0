import test from 'ava';
import { HubDisconnectedError, subdeviceId, subdeviceKey, TimeoutError, type HubConnectionState } from '@iotgw/domain';
import { FakeHub, HUB_RESULT } from '../src/index.js';

const A = subdeviceId('ABCDEFGHIJ', 'a');
const B = subdeviceId('ABCDEFGHIJ', 'b');

async function connectedHub(): Promise<FakeHub> {
  const hub = new FakeHub({ subdevices: [{ subdevice: A, secret: 'sa' }, { subdevice: B, secret: 'sb' }], bound: [A] });
  await hub.connect();
  return hub;
}

test('failNext answers every subdevice of the next call with the injected hub code, once', async (t) => {
  const hub = await connectedHub();
  hub.failNext('online', HUB_RESULT.systemError);
  const failed = await hub.online([A, A]);
  t.deepEqual(failed.map((r) => [r.ok, r.hubCode, r.message]), [
    [false, -2, 'system error'],
    [false, -2, 'system error'],
  ]);
  t.false(hub.isOnline(A));
  t.deepEqual((await hub.online([A])).map((r) => r.hubCode), [0]);
  hub.failNext('bind', -7);
  t.deepEqual((await hub.bind([{ subdevice: B, secret: 'sb' }])).map((r) => [r.hubCode, r.message]), [[-7, 'hub result -7']]);
});

test('delayNext answers later; a short timeout then times out', async (t) => {
  const hub = await connectedHub();
  hub.delayNext('online', 30);
  const started = Date.now();
  t.deepEqual((await hub.online([A])).map((r) => r.hubCode), [0]);
  t.true(Date.now() - started >= 25);
  hub.delayNext('listBound', 200);
  await t.throwsAsync(hub.listBound({ timeoutMs: 20 }), { instanceOf: TimeoutError });
});

test('the default timeout comes from the constructor (10 s unless told)', async (t) => {
  const hub = new FakeHub({ defaultTimeoutMs: 30 });
  await hub.connect();
  hub.dropNext('offline');
  const error = await t.throwsAsync(hub.offline([A]), { instanceOf: TimeoutError });
  t.is(error?.timeoutMs, 30);
});

test('disconnect rejects pending calls, forgets online subdevices and announces reconnecting', async (t) => {
  const hub = await connectedHub();
  await hub.online([A]);
  const states: HubConnectionState[] = [];
  hub.on('state', (s) => states.push(s));
  hub.dropNext('unbind');
  const pending = hub.unbind([A]);
  hub.disconnect();
  await t.throwsAsync(pending, { instanceOf: HubDisconnectedError });
  t.deepEqual(hub.onlineKeys(), []);
  t.true(hub.isBound(A));
  hub.reconnect();
  t.deepEqual(states, ['reconnecting', 'connected']);
});

test('QoS 0 while disconnected is refused; QoS 1 is queued, counted and flushed in order', async (t) => {
  const hub = await connectedHub();
  hub.disconnect();
  await t.throwsAsync(hub.publishData(A, 'data', new Uint8Array([0]), { qos: 0 }), { instanceOf: HubDisconnectedError });
  await t.throwsAsync(hub.reportFirmwareProgress(A, { state: 'downloading', version: '1', percent: 3 }), {
    instanceOf: HubDisconnectedError,
  });
  await hub.publishData(A, 'data', new Uint8Array([1]));
  await hub.reportFirmwareProgress(A, { state: 'done', version: '1' });
  await hub.publishData(A, 'data', new Uint8Array([2]));
  t.is(hub.queued, 3);
  t.deepEqual(hub.published, []);
  hub.reconnect();
  t.deepEqual(hub.reports.map((r) => r.kind), ['progress'], 'reports go out at once');
  t.is(hub.queued, 2, 'data waits: the hub forgot that A was online');
  await hub.online([A]);
  await Promise.resolve();
  t.is(hub.queued, 0);
  t.deepEqual(hub.published.map((p) => [...p.payload]), [[1], [2]]);
});

test('data of a subdevice that is not online is held until it is (QoS 1) or not sent (QoS 0)', async (t) => {
  const hub = await connectedHub();
  await hub.publishData(A, 'data', new Uint8Array([1]));
  await hub.publishData(A, 'data', new Uint8Array([0]), { qos: 0 });
  t.deepEqual(hub.published, []);
  t.is(hub.queued, 1);
  await hub.online([A]);
  await Promise.resolve();
  t.deepEqual(hub.published.map((p) => [...p.payload]), [[1]]);
  await hub.publishData(A, 'data', new Uint8Array([2]));
  t.deepEqual(hub.published.map((p) => [...p.payload]), [[1], [2]], 'online: sent at once');
});

test('QoS 1 messages sent before the first connect go out on connect', async (t) => {
  const hub = new FakeHub({ bound: [A] });
  await hub.publishData(A, 'data', new Uint8Array([9]));
  await hub.reportVersion(A, '1.0.0');
  t.is(hub.queued, 2);
  await hub.connect();
  t.deepEqual(hub.reports.map((r) => r.kind), ['version']);
  await hub.online([A]);
  await Promise.resolve();
  t.deepEqual(hub.published.map((p) => [...p.payload]), [[9]]);
});

test('a full outbox refuses the message and reports it through the error event', async (t) => {
  const hub = new FakeHub({ outboxLimit: 1 });
  await hub.connect();
  hub.disconnect();
  const errors: string[] = [];
  hub.on('error', (e) => errors.push(e.code));
  await hub.publishData(A, 'data', new Uint8Array([1]));
  await t.throwsAsync(hub.publishData(A, 'data', new Uint8Array([2])), { instanceOf: HubDisconnectedError });
  t.deepEqual(errors, ['hub.disconnected']);
});

test('the published payload is a copy of the caller bytes', async (t) => {
  const hub = await connectedHub();
  await hub.online([A]);
  const bytes = new Uint8Array([1, 2, 3]);
  await hub.publishData(A, 'data', bytes);
  bytes[0] = 99;
  t.deepEqual([...hub.published[0]!.payload], [1, 2, 3]);
  t.is(hub.published[0]!.qos, 1);
});

test('changeBinding updates the registry and tells the gateway; setBound does so silently', async (t) => {
  const hub = await connectedHub();
  const changes: string[] = [];
  hub.on('bindingChanged', (c) => changes.push(`${c.bound ? '+' : '-'}${c.subdevices.map(subdeviceKey).join(',')}`));
  hub.changeBinding([B], true);
  t.true(hub.isBound(B));
  hub.setBound(B, false);
  t.false(hub.isBound(B));
  t.deepEqual(changes, ['+ABCDEFGHIJ/b']);
  t.deepEqual(hub.operations, []);
});

test('pushes while disconnected are a test mistake and throw', async (t) => {
  const hub = await connectedHub();
  hub.disconnect();
  t.throws(() => hub.pushDownlink(A, 'data', 'x'), { instanceOf: HubDisconnectedError });
});

test('operations records every batched call in order', async (t) => {
  const hub = await connectedHub();
  await hub.online([A, B]);
  await hub.unbind([A]);
  t.deepEqual(hub.operations, [
    { op: 'online', subdevices: ['ABCDEFGHIJ/a', 'ABCDEFGHIJ/b'] },
    { op: 'unbind', subdevices: ['ABCDEFGHIJ/a'] },
  ]);
});
