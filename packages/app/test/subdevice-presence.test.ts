import 'reflect-metadata';
import test from 'ava';
import { HUB_RESULT } from '@iotgw/testkit';
import { SubdeviceSessions } from '../src/index.js';
import { harness, SUB_A, SUB_B, SUB_C, until } from './support/harness.js';

test('on_attach: a declared subdevice goes online when its link announces it, and offline when it detaches', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  await h.gateway.start();
  t.deepEqual(h.hub.onlineKeys(), [], 'nothing online before anything attached');

  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'A online');
  await h.idle();
  t.is(h.gateway.service.directory.find(SUB_A)?.firmwareVersion, '1.0.0');

  h.link.detach(SUB_A);
  await until(() => !h.hub.isOnline(SUB_A), 'A offline');
  await h.idle();
  t.deepEqual(h.hub.operations.map((o) => o.op), ['online', 'offline']);
  await h.gateway.dispose();
});

test('on_attach: subdevices already attached when the gateway starts go online in one batch', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  h.link.attach(SUB_A, '1.0.0');
  h.link.attach(SUB_B, '1.0.0');
  await h.gateway.start();
  await h.idle();
  t.deepEqual(h.hub.onlineKeys(), ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b']);
  const onlineCalls = h.hub.operations.filter((o) => o.op === 'online');
  t.true(onlineCalls.length >= 1);
  t.deepEqual(onlineCalls[0]?.subdevices, ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b']);
  await h.gateway.dispose();
});

test('at_start: every declared subdevice goes online at start, in batches of batchSize', async (t) => {
  const h = await harness({ onlinePolicy: 'at_start', subdevices: [SUB_A, SUB_B, SUB_C], batchSize: 2 });
  await h.gateway.start();
  t.deepEqual(h.hub.onlineKeys(), ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b', 'PRODUCTBBB/valve:1']);
  t.deepEqual(
    h.hub.operations.map((o) => o.subdevices),
    [['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b'], ['PRODUCTBBB/valve:1']],
  );
  t.is(h.gateway.service.binding !== undefined, true);
  await h.gateway.dispose();
});

test('after the hub connection comes back, everything that should be online goes online again', async (t) => {
  const h = await harness({ onlinePolicy: 'at_start' });
  await h.gateway.start();
  const sessions = h.gateway.container.resolve(SubdeviceSessions);
  t.is(sessions.stateOf(SUB_A), 'online');
  h.hub.disconnect();
  t.deepEqual(h.hub.onlineKeys(), [], 'the hub forgot');
  t.is(sessions.stateOf(SUB_A), 'offline', 'the gateway knows it at once (status and metrics)');
  h.hub.reconnect();
  await until(() => h.hub.onlineKeys().length === 2, 're-online');
  await h.idle();
  t.deepEqual(h.hub.onlineKeys(), ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b']);
  await h.gateway.dispose();
});

test('a detached subdevice is not brought back online after a reconnect', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.attach(SUB_B, '1.0.0');
  await until(() => h.hub.onlineKeys().length === 2, 'both online');
  h.link.detach(SUB_B);
  await until(() => h.hub.onlineKeys().length === 1, 'B offline');
  h.hub.disconnect();
  h.hub.reconnect();
  await until(() => h.hub.isOnline(SUB_A), 'A back');
  await h.idle();
  t.deepEqual(h.hub.onlineKeys(), ['PRODUCTAAA/sensor-a']);
  await h.gateway.dispose();
});

test('the hub refusing online is logged with its code and leaves the subdevice offline', async (t) => {
  const h = await harness({ onlinePolicy: 'at_start' });
  h.hub.failNext('online', HUB_RESULT.systemError);
  await h.gateway.start();
  t.deepEqual(h.hub.onlineKeys(), []);
  const refusal = h.logger.at('warn').find((l) => l.message.includes('refused to put the subdevice online'));
  t.is(refusal?.context['hubCode'], -2);
  t.is(h.gateway.service.presence.wanted().length, 2, 'still wanted: a reconnect retries');
  await h.gateway.dispose();
});

test('a subdevice not bound on the hub is refused online with -1', async (t) => {
  const h = await harness({ onlinePolicy: 'at_start', bound: [SUB_A] });
  await h.gateway.start();
  t.deepEqual(h.hub.onlineKeys(), ['PRODUCTAAA/sensor-a']);
  t.truthy(h.logger.at('warn').find((l) => l.context['hubCode'] === -1 && l.context['subdevice'] === 'PRODUCTAAA/sensor-b'));
  await h.gateway.dispose();
});

test('the hub refusing offline is logged and does not throw', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'A online');
  h.hub.failNext('offline', HUB_RESULT.systemError);
  h.link.detach(SUB_A);
  await until(() => h.hub.operations.some((o) => o.op === 'offline'), 'offline tried');
  await h.idle();
  t.true(h.hub.isOnline(SUB_A), 'the hub kept it online');
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('refused to take the subdevice offline')));
  await h.gateway.dispose();
});

test('an online call the hub never answers times out (background work logs it)', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach', hubTimeoutMs: 50 });
  await h.gateway.start();
  h.hub.dropNext('online');
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.logger.lines.some((l) => l.message.includes('timed out')), 'timeout logged');
  await h.idle();
  t.false(h.hub.isOnline(SUB_A));
  await h.gateway.dispose();
});

test('an undeclared subdevice that attaches is ignored', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach', subdevices: [SUB_A] });
  await h.gateway.start();
  h.link.attach(SUB_C, '1.0.0');
  await h.idle();
  t.deepEqual(h.hub.operations, []);
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('undeclared')));
  await h.gateway.dispose();
});

test('sessions follow the domain table: online, offline, hub_lost', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  const sessions = h.gateway.container.resolve((await import('../src/index.js')).SubdeviceSessions);
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => sessions.stateOf(SUB_A) === 'online', 'online');
  h.hub.disconnect();
  h.hub.dropNext('online');
  h.hub.reconnect();
  t.is(sessions.stateOf(SUB_A), 'offline', 'hub_lost moves online to offline');
  await h.gateway.dispose();
});

test('a subdevice that re-attaches while its offline is in flight (reboot after a firmware update) ends online', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'A online');
  await h.idle();
  h.hub.delayNext('offline', 100);
  h.link.detach(SUB_A);
  // The fake records an operation when it answers: 10 ms in, the offline is asked but unanswered.
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.deepEqual(h.hub.operations.map((o) => o.op), ['online'], 'offline still in flight');
  h.link.attach(SUB_A, '1.1.0');
  await h.idle();
  t.true(h.hub.isOnline(SUB_A), 'online at the hub after the reboot');
  t.deepEqual(h.hub.operations.map((o) => o.op), ['online', 'offline', 'online'], 'in event order');
  await h.gateway.dispose();
});

test('a detach followed at once by a re-attach leaves the subdevice online without a hub round trip', async (t) => {
  const h = await harness({ onlinePolicy: 'on_attach' });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'A online');
  await h.idle();
  h.link.detach(SUB_A);
  h.link.attach(SUB_A, '1.1.0');
  await h.idle();
  t.true(h.hub.isOnline(SUB_A));
  t.deepEqual(h.hub.operations.map((o) => o.op), ['online']);
  await h.gateway.dispose();
});

test('after a reconnect an online the hub does not answer is retried with backoff until it is', async (t) => {
  const h = await harness({ onlinePolicy: 'at_start', hubTimeoutMs: 50 });
  await h.gateway.start();
  h.hub.disconnect();
  h.hub.dropNext('online'); // the hub's side is still coming back
  h.hub.dropNext('online');
  h.hub.reconnect();
  await until(() => h.logger.at('warn').filter((l) => l.message.includes('retrying in 1000 ms')).length === 1, 'first retry planned');
  t.deepEqual(h.hub.onlineKeys(), []);
  await h.clock.advance(1_000);
  await until(() => h.logger.at('warn').some((l) => l.message.includes('retrying in 2000 ms')), 'second retry planned, doubled');
  await h.clock.advance(2_000);
  await until(() => h.hub.onlineKeys().length === 2, 'online after the third try');
  await h.idle();
  t.deepEqual(h.hub.onlineKeys(), ['PRODUCTAAA/sensor-a', 'PRODUCTAAA/sensor-b']);
  await h.gateway.dispose();
});
