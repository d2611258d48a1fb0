import test from 'ava';
import { HubAuthError, HubDisconnectedError, TimeoutError, subdeviceId, subdeviceKey, type GatewayError, type HubConnectionState } from '@iotgw/domain';
import { GW_SECRET, SECRET_A, SECRET_B, SUB_A, SUB_B, SUB_C, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('connect authenticates with key auth, announces states, logs no secret', async (t) => {
  const r = await rig(t);
  const { transport, logger } = r;
  const states: HubConnectionState[] = [];
  transport.on('state', (s) => states.push(s));
  await transport.connect({ timeoutMs: 5000 });
  t.is(transport.state, 'connected');
  t.deepEqual(states, ['connecting', 'connected']);
  await transport.bind([{ subdevice: SUB_A, secret: SECRET_A }]);
  const text = logger.text();
  t.false(text.includes(GW_SECRET));
  t.false(text.includes(SECRET_A));
  t.false(/hmacsha|signature|password/i.test(text));
});

test('wrong device secret rejects connect with HubAuthError and no retry', async (t) => {
  const r = await rig(t);
  const logger = r.logger;
  const bad = r.makeTransport({ auth: { mode: 'KEY', deviceSecret: 'b3RoZXJTZWNyZXQ=' } });
  await t.throwsAsync(bad.connect({ timeoutMs: 5000 }), { instanceOf: HubAuthError });
  t.is(bad.state, 'idle');
  t.false(logger.text().includes('b3RoZXJTZWNyZXQ='));
});

test('bind, online, offline, unbind and listBound succeed; refusals are results, not rejections', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  const bind = await transport.bind([
    { subdevice: SUB_A, secret: SECRET_A },
    { subdevice: SUB_B, secret: 'wrong' },
  ]);
  t.deepEqual(bind.map((r) => [subdeviceKey(r.subdevice), r.ok, r.hubCode]), [
    ['SUBPRODAAA/sub-a', true, 0],
    ['SUBPRODAAA/sub-b', false, -2],
  ]);
  const online = await transport.online([SUB_A, SUB_C]);
  t.deepEqual(online.map((r) => r.hubCode), [0, -1]);
  t.regex(online[1]!.message, /not bound/);
  t.deepEqual(await transport.listBound(), [SUB_A]);
  t.deepEqual((await transport.offline([SUB_A])).map((r) => r.ok), [true]);
  t.deepEqual((await transport.offline([SUB_C])).map((r) => [r.ok, r.hubCode]), [[false, -1]]);
  t.deepEqual((await transport.unbind([SUB_A, SUB_C])).map((r) => [r.ok, r.hubCode]), [
    [true, 0],
    [false, -1],
  ]);
  t.deepEqual((await transport.online([SUB_A])).map((r) => r.hubCode), [-1]);
  t.deepEqual(await transport.listBound(), []);
  hub.resultAsString = true;
  hub.bound.add('SUBPRODAAA/sub-b');
  t.deepEqual((await transport.online([SUB_B])).map((r) => r.hubCode), [0]);
  t.deepEqual(await transport.online([]), []);
});

test('an unanswered operation times out with TimeoutError; the next one works', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  hub.dropNext.add('online');
  const started = Date.now();
  await t.throwsAsync(transport.online([SUB_A], { timeoutMs: 200 }), { instanceOf: TimeoutError });
  t.true(Date.now() - started >= 190);
  t.deepEqual((await transport.online([SUB_A])).map((r) => r.ok), [true]);
});

test('concurrent calls for different subdevices do not confuse each other; duplicates share one request', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  hub.delayMs = 50;
  const [a, c, a2, offA] = await Promise.all([
    transport.online([SUB_A]),
    transport.online([SUB_C]),
    transport.online([SUB_A]),
    transport.offline([SUB_A]),
  ]);
  t.deepEqual([a[0]!.hubCode, c[0]!.hubCode, a2[0]!.hubCode, offA[0]!.hubCode], [0, -1, 0, 0]);
  t.is(hub.requests.filter((r) => r.type === 'online').length, 2, 'the two online(A) calls shared one request');
  t.is(hub.requests.filter((r) => r.type === 'offline').length, 1);
});

test('batches of batchSize devices, results in request order with duplicates', async (t) => {
  const r = await rig(t);
  const hub = r.hub;
  const transport = r.makeTransport({ batchSize: 3 });
  await transport.connect();
  const subs = Array.from({ length: 7 }, (_, i) => subdeviceId('SUBPRODAAA', `s${i}`));
  for (const s of subs.filter((_, i) => i % 2 === 0)) hub.bound.add(subdeviceKey(s));
  const asked = [...subs, subs[0]!];
  const results = await transport.online(asked);
  t.deepEqual(results.map((r) => subdeviceKey(r.subdevice)), asked.map(subdeviceKey));
  t.deepEqual(results.map((r) => r.hubCode), [0, -1, 0, -1, 0, -1, 0, 0]);
  const sizes = hub.requests.map((r) => ('devices' in r ? r.devices.length : 0));
  t.deepEqual(sizes, [3, 3, 1]);
});

test('downlink arrives for online subdevices only; bindingChanged and firmwareUpdate are emitted', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(`${subdeviceKey(d.subdevice)} ${d.channel} ${Buffer.from(d.payload).toString()}`));
  const changes: string[] = [];
  transport.on('bindingChanged', (c) => changes.push(`${c.bound} ${c.subdevices.map(subdeviceKey).join(',')}`));
  const updates: string[] = [];
  transport.on('firmwareUpdate', (u) => updates.push(`${subdeviceKey(u.subdevice)} ${u.job.version} ${u.job.size}`));
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('{"on":1}'));
  await hub.pushDownlink(SUB_B, 'data', Buffer.from('not for us'));
  await hub.pushChange([SUB_B, SUB_C], true);
  await hub.pushChange([SUB_B], false);
  await hub.pushFirmware(SUB_A, { version: '1.3.0', url: 'https://example.com/f.bin?sig=1', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 175436 });
  // The gateway's own update (self-update): followed from the connect on, no online needed.
  await hub.pushFirmware(transport.gateway, { version: '9.0.0', url: 'https://example.com/gw.tgz?sig=1', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 1000 });
  await until(() => downlinks.length === 1 && changes.length === 2 && updates.length === 2);
  t.deepEqual(downlinks, ['SUBPRODAAA/sub-a data {"on":1}']);
  t.deepEqual(changes, ['true SUBPRODAAA/sub-b,SUBPRODCCC/sub_c', 'false SUBPRODAAA/sub-b']);
  t.deepEqual(updates, ['SUBPRODAAA/sub-a 1.3.0 175436', 'GWPRODUCT1/gw1 9.0.0 1000']);
  await transport.offline([SUB_A]);
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('after offline'));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(downlinks.length, 1, 'unsubscribed after offline');
});

test('the broker echoing our own uplink is not mistaken for downlink; the same bytes sent by the hub still are', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(Buffer.from(d.payload).toString()));
  // A plain MQTT 3.1.1 broker delivers our own publish back to us: we are subscribed to the topic.
  for (let i = 0; i < 20; i++) await transport.publishData(SUB_A, 'data', enc('{"temp":21}'), { qos: i % 2 === 0 ? 1 : 0 });
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('{"marker":1}'));
  await until(() => downlinks.length >= 1);
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('{"temp":21}'));
  await until(() => downlinks.length >= 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(downlinks, ['{"marker":1}', '{"temp":21}']);
});

test('data held until the subdevice was online is not echoed back down when it finally goes out', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(Buffer.from(d.payload).toString()));
  for (let i = 0; i < 5; i++) await transport.publishData(SUB_A, 'data', enc(`{"held":${i}}`));
  await transport.online([SUB_A]); // subscribes the data topic, then sends the held readings
  await until(() => hub.data.length >= 5, 5000, 'held readings at the hub');
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('{"marker":1}'));
  await until(() => downlinks.length >= 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(downlinks, ['{"marker":1}'], 'only the hub\'s own message comes down');
});

test('data topics are subscribed at QoS 1: the echo of each reading is acknowledged, so no PUBACK waits on Nagle', async (t) => {
  // At QoS 0 the hub's echo needs no reply, the broker's PUBACK then waits for our delayed TCP ACK
  // (~40 ms per reading on mosquitto defaults); our PUBACK for a QoS 1 echo carries that ACK at once.
  const { transport, broker, hub } = await rig(t, { dataChannels: ['data', 'event'] });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const qosOf = (topic: string): number | undefined => broker.subscribed.find((s) => s.clientId === 'GWPRODUCT1gw1' && s.topic === topic)?.qos;
  t.is(qosOf('SUBPRODAAA/sub-a/data'), 1);
  t.is(qosOf('SUBPRODAAA/sub-a/event'), 1);
  t.is(qosOf('$ota/update/SUBPRODAAA/sub-a'), 1);
});

test('malformed hub messages surface as error events, not crashes', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  const errors: GatewayError[] = [];
  transport.on('error', (e) => errors.push(e));
  await hub.publish('$gateway/operation/result/GWPRODUCT1/gw1', '{"type":"online","payload":');
  await until(() => errors.length === 1);
  t.is(errors[0]!.code, 'hub.protocol');
});

test('data, version and progress reports reach the hub with exact bytes', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  await transport.publishData(SUB_A, 'data', enc('{"t":21.5}'));
  // A QoS 1 publish resolves once durable, maybe before its PUBACK; the broker may then deliver
  // the QoS 0 one after it first: wait for the first at the hub so the order below is the one sent.
  await until(() => hub.data.length === 1, 5000, 'the QoS 1 reading at the hub');
  await transport.publishData(SUB_A, 'event', enc('e'), { qos: 0 });
  await transport.reportVersion(SUB_A, '1.0.0');
  await transport.reportFirmwareProgress(SUB_A, { state: 'downloading', version: '1.1.0', percent: 42 });
  await transport.reportFirmwareProgress(SUB_A, { state: 'fail', version: '1.1.0', code: -4, message: 'md5 mismatch' });
  await until(() => hub.data.length === 2 && hub.reports.length === 3);
  t.deepEqual(hub.data.map((d) => `${d.channel} ${d.payload.toString()}`), ['data {"t":21.5}', 'event e']);
  t.deepEqual(hub.reports.map((r) => r.message), [
    { type: 'report_version', version: '1.0.0' },
    { type: 'report_progress', report: { state: 'downloading', version: '1.1.0', percent: 42 } },
    { type: 'report_progress', report: { state: 'fail', version: '1.1.0', code: -4, message: 'md5 mismatch' } },
  ]);
});

test('broker restart mid-stream: every QoS1 message arrives, in order, after the reconnect', async (t) => {
  const { transport, broker, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const reconnected: number[] = [];
  transport.on('reconnected', (r) => reconnected.push(r.attempt));
  const total = 300;
  for (let i = 0; i < total; i++) {
    if (i === 100) await broker.stop();
    if (i === 200) await broker.start(broker.port);
    await transport.publishData(SUB_A, 'data', enc(String(i)), { timeoutMs: 10_000 });
  }
  await until(() => transport.state === 'connected', 10_000, 'reconnect');
  await until(() => hub.ready >= 2, 5000, 'the responder to be back');
  // The hub forgot online subdevices; what the app does on 'reconnected': online again (the result
  // topic is subscribed again so operations work), which releases the data held meanwhile.
  t.deepEqual((await transport.online([SUB_A])).map((r) => r.ok), [true]);
  const seen = (): number[] =>
    broker.published.filter((p) => p.topic === 'SUBPRODAAA/sub-a/data' && p.clientId === 'GWPRODUCT1gw1').map((p) => Number(p.payload.toString()));
  await until(() => new Set(seen()).size === total, 10_000, 'all messages');
  // At-least-once: a resend may repeat a message, but first arrivals are complete and in order.
  const first: number[] = [];
  const had = new Set<number>();
  for (const n of seen()) {
    if (had.has(n)) continue;
    had.add(n);
    first.push(n);
  }
  t.deepEqual(first, Array.from({ length: total }, (_, i) => i));
  t.true(reconnected.length >= 1);
  await until(() => transport.uplinkBacklog()?.depth === 0, 5000, 'outbox empty');
});

test('operations while disconnected and after close reject with HubDisconnectedError', async (t) => {
  const { transport, broker } = await rig(t);
  await t.throwsAsync(transport.online([SUB_A]), { instanceOf: HubDisconnectedError });
  await transport.connect();
  await broker.stop();
  await until(() => transport.state === 'reconnecting');
  await t.throwsAsync(transport.listBound(), { instanceOf: HubDisconnectedError });
  await t.throwsAsync(transport.publishData(SUB_A, 'data', enc('x'), { qos: 0 }), { instanceOf: HubDisconnectedError });
  await transport.close();
  t.is(transport.state, 'closed');
  await t.notThrowsAsync(transport.close());
  await t.throwsAsync(transport.bind([{ subdevice: SUB_B, secret: SECRET_B }]), { instanceOf: HubDisconnectedError });
  await t.throwsAsync(transport.publishData(SUB_A, 'data', enc('x')), { instanceOf: HubDisconnectedError });
  await t.throwsAsync(transport.connect(), { instanceOf: HubDisconnectedError });
});

test('close rejects pending operations with HubDisconnectedError', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.dropNext.add('online');
  const pending = transport.online([SUB_A], { timeoutMs: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  await transport.close();
  await t.throwsAsync(pending, { instanceOf: HubDisconnectedError });
});

test('connect retries an unreachable hub with backoff until its deadline; close stops it at once', async (t) => {
  const r = await rig(t);
  const port = r.broker.port;
  await r.broker.stop();
  const timing = r.makeTransport({ port });
  const started = Date.now();
  await t.throwsAsync(timing.connect({ timeoutMs: 400 }), { instanceOf: TimeoutError });
  t.true(Date.now() - started >= 390);
  t.is(timing.state, 'idle');
  const closing = r.makeTransport({ port });
  const pending = closing.connect({ timeoutMs: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closedAt = Date.now();
  await closing.close();
  await t.throwsAsync(pending, { instanceOf: HubDisconnectedError });
  t.true(Date.now() - closedAt < 1000);
  t.is(closing.state, 'closed');
});

test('data for a subdevice that is not online is held, not published, until the hub accepts it online', async (t) => {
  const { transport, broker, hub, logger } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  const fromGateway = (): string[] =>
    broker.published.filter((p) => p.topic === 'SUBPRODAAA/sub-a/data' && p.clientId === 'GWPRODUCT1gw1').map((p) => p.payload.toString());
  await transport.publishData(SUB_A, 'data', enc('r1'));
  await transport.publishData(SUB_A, 'data', enc('r2'));
  await transport.publishData(SUB_A, 'data', enc('q0'), { qos: 0 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(fromGateway(), [], 'nothing on the data topic before online');
  t.is(transport.uplinkBacklog()?.depth, 2, 'QoS 1 held in the outbox; QoS 0 is lossy');
  t.is(logger.lines.filter((l) => l.message.startsWith('data held until the subdevice is online')).length, 1, 'one line per subdevice (info: holding is normal, nothing is lost)');
  await transport.online([SUB_A]);
  await until(() => fromGateway().length === 2, 5000, 'held data after online');
  t.deepEqual(fromGateway(), ['r1', 'r2']);
  await transport.offline([SUB_A]);
  await transport.publishData(SUB_A, 'data', enc('r3'));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(fromGateway(), ['r1', 'r2'], 'held again once offline');
  await transport.online([SUB_A]);
  await until(() => fromGateway().length === 3, 5000, 'r3 after the second online');
  t.is(transport.uplinkBacklog()?.depth, 0);
});

// The gateway's own topics: operation results, its own $ota/update, and the hub's services for the
// gateway itself (time, remote configuration, log level), subscribed on every connection.
const OWN_TOPICS = [
  '$config/operation/result/GWPRODUCT1/gw1',
  '$gateway/operation/result/GWPRODUCT1/gw1',
  '$log/operation/result/GWPRODUCT1/gw1',
  '$ota/update/GWPRODUCT1/gw1',
  '$sys/operation/result/GWPRODUCT1/gw1',
];

test("after a reconnect only the gateway's own topics (operation results, its own $ota/update, $config, $log and $sys results) are subscribed until a subdevice is online again; a console unbind stops following it", async (t) => {
  const { transport, broker, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const mine = (): string[] => broker.subscribed.filter((s) => s.clientId === 'GWPRODUCT1gw1').map((s) => s.topic);
  t.true(mine().includes('SUBPRODAAA/sub-a/data'));
  await broker.stop();
  await until(() => transport.state !== 'connected', 5000, 'the loss noticed');
  const before = broker.subscribed.length;
  await broker.start(broker.port);
  await until(() => transport.state === 'connected', 10_000, 'reconnect');
  await until(() => hub.ready >= 2, 5000, 'the responder to be back');
  const afterReconnect = (): string[] => broker.subscribed.slice(before).filter((s) => s.clientId === 'GWPRODUCT1gw1').map((s) => s.topic);
  await until(() => afterReconnect().length >= OWN_TOPICS.length, 5000, 'every own topic seen by the broker');
  t.deepEqual([...afterReconnect()].sort(), OWN_TOPICS, 'subdevice topics wait for its online');
  await transport.online([SUB_A]);
  t.true(afterReconnect().includes('SUBPRODAAA/sub-a/data'));
  // The console unbinds: held from now on, and not resubscribed after the next reconnect.
  await hub.pushChange([SUB_A], false);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await transport.publishData(SUB_A, 'data', enc('after-unbind'));
  t.is(transport.uplinkBacklog()?.depth, 1);
  await broker.stop();
  await until(() => transport.state !== 'connected', 5000, 'the loss noticed');
  const beforeSecond = broker.subscribed.length;
  await broker.start(broker.port);
  await until(() => transport.state === 'connected', 10_000, 'second reconnect');
  // aedes may announce a SUBSCRIBE only after the client already has its SUBACK: wait for it.
  const afterSecond = (): string[] => broker.subscribed.slice(beforeSecond).filter((s) => s.clientId === 'GWPRODUCT1gw1').map((s) => s.topic);
  await until(() => afterSecond().length >= OWN_TOPICS.length, 5000, 'every own topic seen by the broker');
  t.deepEqual([...afterSecond()].sort(), OWN_TOPICS);
});

test('TLS (the default) against a plain MQTT port fails with a hint to set tls to false', async (t) => {
  const { makeTransport } = await rig(t);
  const transport = makeTransport({ tls: true, connectTimeoutMs: 1_500 });
  const error = await t.throwsAsync(transport.connect(), { instanceOf: TimeoutError });
  t.regex(error?.message ?? '', /timed out after 1500 ms/);
  t.regex(error?.message ?? '', /last attempt: .*set tls to false/);
});

test('1,000 subdevices online at once are followed in SUBSCRIBE packets of at most 200 topics (not one 200 KB packet), and let go the same way', async (t) => {
  const { transport, hub, broker } = await rig(t);
  hub.bindAll = true;
  await transport.connect();
  const many = Array.from({ length: 1000 }, (_, i) => subdeviceId('SUBPRODAAA', `s${i}`));
  broker.subscribePackets.length = 0;
  const online = await transport.online(many, { timeoutMs: 30_000 });
  t.is(online.filter((r) => r.ok).length, 1000);
  const subscribedTopics = broker.subscribePackets.reduce((a, b) => a + b, 0);
  t.true(subscribedTopics >= 5000, `every subdevice's topics subscribed (${subscribedTopics})`);
  t.true(Math.max(...broker.subscribePackets) <= 200, `largest SUBSCRIBE: ${Math.max(...broker.subscribePackets)} topics`);
  // The last subdevice's data topic works: its gate is open.
  await transport.publishData(many[999]!, 'data', enc('{"n":1}'), { timeoutMs: 5000 });
  broker.unsubscribePackets.length = 0;
  t.is((await transport.offline(many, { timeoutMs: 30_000 })).filter((r) => r.ok).length, 1000);
  t.true(broker.unsubscribePackets.reduce((a, b) => a + b, 0) >= 5000);
  t.true(Math.max(...broker.unsubscribePackets) <= 200, `largest UNSUBSCRIBE: ${Math.max(...broker.unsubscribePackets)} topics`);
});
