import test from 'ava';
import { createHash } from 'node:crypto';
import { firmwareJob, subdeviceId, subdeviceKey, type DeliveryProgress, type FirmwareImage, type SubdeviceAttachment, type SubdeviceLink } from '@iotgw/domain';
import { SerialSubdeviceLink } from '../src/index.js';
import { closePort, openPort, simulatorOn } from './sim-port.js';
import { ptyRig } from './pty-rig.js';

const SENSOR = subdeviceId('ABCDEFGHIJ', 'sensor1');
const VALVE = subdeviceId('ABCDEFGHIJ', 'valve1');

// Deadlines, not speed targets: socat and the ports are slow to come and go on a crowded box.
function waitFor<T>(link: SubdeviceLink, event: 'attached' | 'detached' | 'data', match: (v: never) => boolean, ms = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.close();
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const sub = link.on(event, ((v: never) => {
      if (!match(v)) return;
      clearTimeout(timer);
      sub.close();
      resolve(v);
    }) as never);
  });
}

function imageOf(bytes: Uint8Array, version: string): FirmwareImage {
  const md5 = createHash('md5').update(bytes).digest('hex');
  return {
    job: firmwareJob({ version, url: 'http://127.0.0.1/fw.bin', md5, size: bytes.length }),
    size: bytes.length,
    md5,
    read: (offset, length) => Promise.resolve(bytes.slice(offset, offset + length)),
  };
}

const rig = (t: import('ava').ExecutionContext) => ptyRig(t);

test('attach, data both ways, detach on silence', async (t) => {
  const { link, port, sims } = await rig(t);
  const sim = simulatorOn(port, { productId: 'ABCDEFGHIJ', deviceName: 'sensor1', firmwareVersion: '1.0.0' });
  sims.push(sim);
  const attached = waitFor<SubdeviceAttachment>(link, 'attached', () => true);
  sim.start();
  t.deepEqual(await attached, { subdevice: SENSOR, firmwareVersion: '1.0.0' });
  const up = waitFor<{ payload: Uint8Array }>(link, 'data', () => true);
  await sim.sendData(Buffer.from('{"temp":21.5}'));
  t.is(Buffer.from((await up).payload).toString(), '{"temp":21.5}');
  await link.send(SENSOR, Buffer.from('{"led":1}'));
  t.is(Buffer.from(sim.received[0]!).toString(), '{"led":1}');
  const detached = waitFor<{ reason: string }>(link, 'detached', () => true);
  sim.stop();
  t.is((await detached).reason, 'keepalive_timeout');
  t.deepEqual(link.attachedSubdevices(), []);
  await t.throwsAsync(link.send(SENSOR, Buffer.from('x')), { code: 'link.unknown_subdevice' } as never);
});

test('two subdevices on one port, addressed separately', async (t) => {
  const { link, port, sims } = await rig(t);
  sims.push(simulatorOn(port, { productId: 'ABCDEFGHIJ', deviceName: 'sensor1', firmwareVersion: '1.0.0', address: 1 }));
  sims.push(simulatorOn(port, { productId: 'ABCDEFGHIJ', deviceName: 'valve1', firmwareVersion: '3.1.0', address: 2 }));
  const both = Promise.all([
    waitFor(link, 'attached', (a: SubdeviceAttachment) => a.subdevice.deviceName === 'sensor1'),
    waitFor(link, 'attached', (a: SubdeviceAttachment) => a.subdevice.deviceName === 'valve1'),
  ]);
  for (const s of sims) s.start();
  await both;
  t.deepEqual(link.attachedSubdevices().map((a) => `${subdeviceKey(a.subdevice)}@${a.firmwareVersion}`).sort(), [
    'ABCDEFGHIJ/sensor1@1.0.0',
    'ABCDEFGHIJ/valve1@3.1.0',
  ]);
  await link.send(VALVE, Buffer.from('open'));
  await link.send(SENSOR, Buffer.from('read'));
  t.deepEqual(sims.map((s) => s.received.map((p) => Buffer.from(p).toString())), [['read'], ['open']]);
});

test('firmware: full transfer with progress, a crash mid-transfer, then resume to success', async (t) => {
  const { link, port, sims } = await rig(t);
  const sim = simulatorOn(port, { productId: 'ABCDEFGHIJ', deviceName: 'valve1', firmwareVersion: '1.0.0', firmware: { cutAt: 16_000 }, applyMs: 200 });
  sims.push(sim);
  const attached = waitFor(link, 'attached', () => true);
  sim.start();
  await attached;
  const bytes = Uint8Array.from({ length: 32_000 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
  const image = imageOf(bytes, '1.1.0');
  const error = await t.throwsAsync(link.deliverFirmware(VALVE, image, { timeoutMs: 20_000 }));
  t.is((error as { code?: string }).code, 'link.disconnected');
  const again = waitFor(link, 'attached', () => true);
  sim.start();
  await again;
  const progress: DeliveryProgress[] = [];
  const result = await link.deliverFirmware(VALVE, image, { timeoutMs: 20_000, onProgress: (p) => progress.push(p) });
  t.deepEqual(result, { ok: true, version: '1.1.0' });
  t.true(progress[0]!.bytes >= 16_000, `resumed at ${progress[0]!.bytes}`);
  t.true(progress.some((p) => p.phase === 'applying'));
  t.is(progress.findIndex((p) => p.phase === 'applying'), progress.filter((p) => p.phase === 'transferring').length);
  t.deepEqual(sim.offersFrom.length, 2);
  t.deepEqual(Buffer.from(sim.lastImage!), Buffer.from(bytes));
});

test('unplug and replug: the port vanishes (socat killed), the link survives, reopens and reattaches', async (t) => {
  const { pair, link, port, sims } = await rig(t);
  const sim = simulatorOn(port, { productId: 'ABCDEFGHIJ', deviceName: 'sensor1', firmwareVersion: '1.0.0' });
  sims.push(sim);
  const attached = waitFor(link, 'attached', () => true);
  sim.start();
  await attached;
  const errors: string[] = [];
  link.on('error', (e) => errors.push(e.code));
  const detached = waitFor<{ reason: string }>(link, 'detached', () => true);
  sim.stop();
  await closePort(port);
  await pair.kill();
  t.is((await detached).reason, 'link_lost');
  // Replug: same paths come back; a fresh subdevice end opens its side.
  await pair.start();
  const port2 = await openPort(pair.b);
  const sim2 = simulatorOn(port2, { productId: 'ABCDEFGHIJ', deviceName: 'sensor1', firmwareVersion: '1.0.0' });
  t.teardown(() => closePort(port2));
  sims.push(sim2);
  const back = waitFor<SubdeviceAttachment>(link, 'attached', () => true);
  sim2.start();
  t.deepEqual(await back, { subdevice: SENSOR, firmwareVersion: '1.0.0' });
  await link.send(SENSOR, Buffer.from('hi'));
  t.is(Buffer.from(sim2.received[0]!).toString(), 'hi');
});

test('start rejects with link.unavailable when the port never appears', async (t) => {
  const link = new SerialSubdeviceLink({ path: '/tmp/iotgw-no-such-port', reopenIntervalMs: 50 });
  const error = await t.throwsAsync(link.start({ timeoutMs: 300 }));
  t.is((error as { code?: string }).code, 'link.unavailable');
  // Says why (the OS's reason) and what to check, not just that time ran out.
  t.regex(error?.message ?? '', /\/tmp\/iotgw-no-such-port could not be opened within 300 ms: .*No such file or directory.*is the device plugged in/);
});
