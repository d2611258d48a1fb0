import test from 'ava';
import { Capability, GatewayEngine, LinkProtocolError, ManualScheduler, SubdeviceEngine, type FirmwareOutcome, type FirmwareProgress } from '../src/index.js';
import { makeImage, makeRig, runUntil, sourceOf } from './harness.js';

function start(rig: ReturnType<typeof makeRig>): void {
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
}

test('a subdevice says HELLO and the gateway attaches it with its identity', async (t) => {
  const rig = makeRig();
  start(rig);
  t.true(await runUntil(rig.scheduler, () => rig.events.attached.length === 1 && rig.subdevices[0]!.state === 'connected'));
  t.like(rig.events.attached[0], { address: 1, productId: 'ABCDEFGHIJ', deviceName: 'sub1', firmwareVersion: '1.0.0' });
  // Keepalives keep it attached well past the timeout.
  await runUntil(rig.scheduler, () => false, 20_000);
  t.is(rig.events.detached.length, 0);
  rig.gateway.stop();
});

test('DATA flows both ways and each side resolves on the ack', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let up = false;
  let down = false;
  rig.subdevices[0]!.sendData(Buffer.from('{"t":21}')).then(() => (up = true), t.fail);
  rig.gateway.sendData(1, Buffer.from('{"led":1}')).then(() => (down = true), t.fail);
  t.true(await runUntil(rig.scheduler, () => up && down));
  t.deepEqual(rig.events.gwData, ['sub1:{"t":21}']);
  t.deepEqual(rig.events.subData, ['1:{"led":1}']);
  rig.gateway.stop();
});

test('DATA is retransmitted through corruption and delivered exactly once', async (t) => {
  // One byte in 37 corrupted loses about half the DATA + DATA_ACK round trips: with 5 attempts a frame
  // runs out ~5 % of the time, and which one depends only on timing. What is tested here is
  // retransmission and exactly-once delivery, so no frame is allowed to run out of attempts.
  const rig = makeRig({ gateway: { maxAttempts: 12 } });
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  rig.wire.corruptEvery = 37;
  let acked = 0;
  for (let i = 0; i < 10; i++) rig.gateway.sendData(1, Buffer.from(`m${i}`)).then(() => acked++, () => undefined);
  await runUntil(rig.scheduler, () => acked === 10, 30_000);
  t.is(acked, 10);
  t.is(new Set(rig.events.subData).size, rig.events.subData.length);
  t.is(rig.events.subData.length, 10);
  t.true(rig.log.filter((l) => l.from === 'G' && l.message.type === 'data').length > 10, 'corrupted frames were retransmitted');
  rig.gateway.stop();
});

test('two subdevices share one stream by address', async (t) => {
  const rig = makeRig({ addresses: [3, 9] });
  start(rig);
  t.true(await runUntil(rig.scheduler, () => rig.events.attached.length === 2));
  t.deepEqual(rig.gateway.peers().map((p) => [p.address, p.deviceName]).sort(), [[3, 'sub1'], [9, 'sub2']]);
  let n = 0;
  void rig.gateway.sendData(9, Buffer.from('to9')).then(() => n++);
  void rig.gateway.sendData(3, Buffer.from('to3')).then(() => n++);
  await runUntil(rig.scheduler, () => n === 2);
  t.deepEqual(rig.events.subData.sort(), ['3:to3', '9:to9']);
  rig.gateway.stop();
});

test('a silent subdevice is detached after the keepalive timeout and sendData rejects', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  rig.wire.cut = true;
  const sent = rig.gateway.sendData(1, Buffer.from('x'));
  sent.catch(() => undefined);
  t.true(await runUntil(rig.scheduler, () => rig.events.detached.length === 1));
  t.is(rig.events.detached[0]!.reason, 'keepalive_timeout');
  const error = await t.throwsAsync(sent);
  t.true(error instanceof LinkProtocolError);
  await t.throwsAsync(rig.gateway.sendData(1, Buffer.from('y')), { instanceOf: LinkProtocolError });
  // The wire comes back: the subdevice says HELLO again and is reattached.
  rig.wire.cut = false;
  t.true(await runUntil(rig.scheduler, () => rig.events.attached.length === 2));
  rig.gateway.stop();
});

test('after a gateway restart the subdevice is told to say HELLO again', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.events.attached.length === 1);
  rig.gateway.stop();
  rig.gateway.start();
  t.true(await runUntil(rig.scheduler, () => rig.events.attached.length === 2, 10_000));
  t.is(rig.events.detached[0]!.reason, 'stopped');
  rig.gateway.stop();
});

test('a subdevice BYE detaches it as goodbye', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  rig.subdevices[0]!.stop(0);
  t.true(await runUntil(rig.scheduler, () => rig.events.detached.length === 1));
  t.is(rig.events.detached[0]!.reason, 'goodbye');
  rig.gateway.stop();
});

async function deliver(rig: ReturnType<typeof makeRig>, image: Uint8Array, progress: FirmwareProgress[]) {
  let outcome: FirmwareOutcome | Error | undefined;
  rig.gateway.deliverFirmware(1, sourceOf(image), (p) => progress.push(p)).then(
    (o) => (outcome = o),
    (e: Error) => (outcome = e),
  );
  await runUntil(rig.scheduler, () => outcome !== undefined, 600_000);
  return outcome;
}

test('firmware: full transfer, progress transferring then applying, verdict ok', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const image = makeImage(20_000);
  const progress: FirmwareProgress[] = [];
  const outcome = await deliver(rig, image, progress);
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  t.deepEqual(Buffer.from(rig.image.bytes), Buffer.from(image));
  t.is(progress[0]!.phase, 'transferring');
  t.is(progress.at(-1)!.phase, 'applying');
  const lastTransfer = progress.filter((p) => p.phase === 'transferring').at(-1)!;
  t.is(lastTransfer.bytes, 20_000);
  t.is(lastTransfer.percent, 100);
  t.true(progress.findIndex((p) => p.phase === 'applying') > progress.findLastIndex((p) => p.phase === 'transferring'));
  rig.gateway.stop();
});

test('firmware: survives byte corruption (go-back-N)', async (t) => {
  const rig = makeRig({ gateway: { firmware: { chunkSize: 128, retransmitMs: 300 } } });
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  rig.wire.corruptEvery = 997;
  const image = makeImage(30_000, 3);
  const outcome = await deliver(rig, image, []);
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  t.deepEqual(Buffer.from(rig.image.bytes), Buffer.from(image));
  rig.gateway.stop();
});

test('firmware: a cut rejects as detached, and the next delivery resumes from the acked offset', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const image = makeImage(50_000, 5);
  const source = sourceOf(image);
  let first: unknown;
  rig.gateway.deliverFirmware(1, source).then((o) => (first = o), (e: unknown) => (first = e));
  await runUntil(rig.scheduler, () => rig.image.received > 20_000);
  rig.wire.cut = true;
  await runUntil(rig.scheduler, () => first !== undefined);
  t.true(first instanceof LinkProtocolError);
  t.is((first as LinkProtocolError).reason, 'detached');
  const held = rig.image.received;
  t.true(held > 20_000 && held < 50_000);
  rig.wire.cut = false;
  await runUntil(rig.scheduler, () => rig.gateway.peers().length === 1);
  const again = sourceOf(image);
  const progress: FirmwareProgress[] = [];
  let outcome: unknown;
  rig.gateway.deliverFirmware(1, again, (p) => progress.push(p)).then((o) => (outcome = o), (e: unknown) => (outcome = e));
  await runUntil(rig.scheduler, () => outcome !== undefined, 600_000);
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  t.is(progress[0]!.bytes, held, 'first progress reports the resumed offset');
  t.true(again.reads <= 50_000 - held + 4 * 512, `re-read ${again.reads} bytes`);
  t.deepEqual(Buffer.from(rig.image.bytes), Buffer.from(image));
  rig.gateway.stop();
});

test('firmware: a failing apply comes back as the subdevice code and message', async (t) => {
  const rig = makeRig({ applyResult: 'fail' });
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  t.deepEqual(await deliver(rig, makeImage(3000), []), { ok: false, code: -5, message: 'flash write failed' });
  rig.gateway.stop();
});

test('firmware: a second transfer to a busy subdevice is refused', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const first = rig.gateway.deliverFirmware(1, sourceOf(makeImage(5000)));
  await t.throwsAsync(rig.gateway.deliverFirmware(1, sourceOf(makeImage(5000))), { instanceOf: LinkProtocolError });
  await runUntil(rig.scheduler, () => false, 100);
  rig.gateway.stop();
  await t.throwsAsync(first);
});

test('firmware: a gateway restarted while the subdevice applies sees it come back with the new version', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let outcome: FirmwareOutcome | Error | undefined;
  const progress: FirmwareProgress[] = [];
  rig.gateway.deliverFirmware(1, sourceOf(makeImage(4_000)), (p) => progress.push(p)).then(
    (o) => (outcome = o),
    (e: Error) => (outcome = e),
  );
  t.true(await runUntil(rig.scheduler, () => progress.some((p) => p.phase === 'applying'), 60_000));
  // The gateway process dies mid-apply and a new one starts on the same stream.
  rig.gateway.stop();
  rig.gateway.start();
  t.true(await runUntil(rig.scheduler, () => outcome !== undefined));
  t.true(outcome instanceof LinkProtocolError);
  // The subdevice may reattach with 1.0.0 while still applying; once applied it must announce 2.0.0.
  t.true(await runUntil(rig.scheduler, () => rig.events.attached.some((p) => p.firmwareVersion === '2.0.0'), 10_000));
  t.is(rig.gateway.peer(1)?.firmwareVersion, '2.0.0');
  t.is(rig.subdevices[0]!.identity.firmwareVersion, '2.0.0');
  rig.gateway.stop();
});

test('firmware: after an apply the gateway that offered it hears FW_RESULT only, and later HELLOs carry the new version', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const outcome = await deliver(rig, makeImage(4_000), []);
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  await runUntil(rig.scheduler, () => false, 5_000);
  t.is(rig.events.attached.length, 1, 'no extra HELLO in the session that offered the image');
  t.is(rig.events.detached.length, 0);
  rig.gateway.stop();
  rig.gateway.start();
  t.true(await runUntil(rig.scheduler, () => rig.events.attached.length === 2, 10_000));
  t.is(rig.events.attached[1]!.firmwareVersion, '2.0.0');
  rig.gateway.stop();
});

test('firmware: a failed apply finished after a gateway restart is announced with a fresh HELLO on the old version', async (t) => {
  const rig = makeRig({ applyResult: 'fail' });
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const progress: FirmwareProgress[] = [];
  rig.gateway.deliverFirmware(1, sourceOf(makeImage(4_000)), (p) => progress.push(p)).catch(() => undefined);
  t.true(await runUntil(rig.scheduler, () => progress.some((p) => p.phase === 'applying'), 60_000));
  rig.gateway.stop();
  rig.gateway.start();
  t.true(await runUntil(rig.scheduler, () => rig.events.detached.some((d) => d.reason === 'reboot'), 10_000));
  t.true(rig.events.attached.slice(1).every((p) => p.firmwareVersion === '1.0.0'));
  t.is(rig.subdevices[0]!.identity.firmwareVersion, '1.0.0');
  rig.gateway.stop();
});

test('firmware: a subdevice that already holds the whole image is committed at once, without a chunk', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const image = makeImage(6_000, 8);
  const source = sourceOf(image);
  // The first delivery is cancelled after the last chunk arrived but before FW_COMMIT went out.
  let first: unknown;
  rig.gateway.deliverFirmware(1, source).then((o) => (first = o), (e: unknown) => (first = e));
  await runUntil(rig.scheduler, () => rig.image.received === 6_000);
  rig.gateway.cancelFirmware(1);
  await runUntil(rig.scheduler, () => first !== undefined);
  t.true(first instanceof LinkProtocolError);
  const started = rig.scheduler.now();
  const outcome = await deliver(rig, image, []);
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  t.true(rig.scheduler.now() - started < 2_000, `took ${rig.scheduler.now() - started} ms of virtual time, no retransmit timeouts`);
  rig.gateway.stop();
});

test('firmware: a subdevice without the FIRMWARE capability is not offered an image', async (t) => {
  const scheduler = new ManualScheduler();
  const far: { sub?: SubdeviceEngine } = {};
  const gateway = new GatewayEngine({ transmit: (b) => scheduler.setTimer(1, () => far.sub?.feed(b)) }, { scheduler });
  const sub = new SubdeviceEngine(
    { transmit: (b) => scheduler.setTimer(1, () => gateway.feed(b)) },
    { address: 4, identity: { productId: 'ABCDEFGHIJ', deviceName: 'plain', firmwareVersion: '1' }, scheduler },
  );
  far.sub = sub;
  gateway.start();
  sub.start();
  t.true(await runUntil(scheduler, () => sub.state === 'connected'));
  t.is(gateway.peer(4)!.capabilities & Capability.FIRMWARE, 0);
  const error = await t.throwsAsync(gateway.deliverFirmware(4, sourceOf(makeImage(100))), { instanceOf: LinkProtocolError });
  t.is((error).reason, 'unsupported');
  gateway.stop();
  sub.stop();
});

test('a stall of the gateway itself (its timers run late) is not blamed on the subdevice: no keepalive detach; real silence still is', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  // The process does not run for 5 s (over the 3.5 s keepalive timeout); the subdevice's frames wait in the buffer.
  rig.scheduler.freeze(5_000);
  rig.scheduler.advance(2_000);
  t.deepEqual(rig.events.detached, [], 'the gateway stalled, the subdevice did not go silent');
  rig.wire.cut = true;
  t.true(await runUntil(rig.scheduler, () => rig.events.detached.length === 1));
  t.is(rig.events.detached[0]!.reason, 'keepalive_timeout');
  rig.gateway.stop();
});

test('a stall of the subdevice itself is not blamed on the gateway: the session stays up', async (t) => {
  const rig = makeRig();
  start(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  const hellos = rig.log.filter((l) => l.message.type === 'hello').length;
  rig.scheduler.freeze(10_000);
  rig.scheduler.advance(2_000);
  t.is(rig.subdevices[0]!.state, 'connected');
  t.is(rig.log.filter((l) => l.message.type === 'hello').length, hellos, 'no new HELLO');
  t.deepEqual(rig.events.detached, []);
  rig.gateway.stop();
});
