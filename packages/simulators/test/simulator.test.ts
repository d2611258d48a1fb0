import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { GatewayEngine, ManualScheduler, type FirmwareProgress, type PeerInfo } from '@iotgw/link-protocol';
import type { ByteStream } from '@iotgw/domain';
import { SubdeviceSimulator, createMemoryPipe, createThrottledPipe, type SubdeviceSimulatorOptions } from '../src/index.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function runUntil(s: ManualScheduler, done: () => boolean, maxMs = 120_000): Promise<boolean> {
  const until = s.now() + maxMs;
  for (;;) {
    await flush();
    if (done()) return true;
    const at = s.nextAt();
    if (at === undefined || at > until) return false;
    s.runNext();
  }
}

function gatewayOn(stream: ByteStream, scheduler?: ManualScheduler) {
  const attached: PeerInfo[] = [];
  const data: string[] = [];
  const engine = new GatewayEngine(
    { transmit: (b) => stream.write(b), attached: (p) => attached.push(p), data: (_p, payload) => data.push(Buffer.from(payload).toString()) },
    { scheduler },
  );
  stream.on('data', (b) => engine.feed(b));
  engine.start();
  return { engine, attached, data };
}

function image(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

function source(bytes: Uint8Array, version = '2.0.0') {
  return {
    version,
    size: bytes.length,
    md5: Uint8Array.from(createHash('md5').update(bytes).digest()),
    read: (offset: number, length: number) => Promise.resolve(bytes.slice(offset, offset + length)),
  };
}

test('simulator attaches over an in-memory pipe, sends periodic readings and receives data (real timers)', async (t) => {
  const [gwEnd, subEnd] = createMemoryPipe();
  const gw = gatewayOn(gwEnd);
  const sim = new SubdeviceSimulator(subEnd, { productId: 'ABCDEFGHIJ', deviceName: 'temp1', firmwareVersion: '1.0.0', sensorIntervalMs: 50 });
  t.teardown(() => {
    sim.stop();
    gw.engine.stop();
  });
  sim.start();
  for (let i = 0; i < 100 && gw.data.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  t.like(gw.attached[0], { productId: 'ABCDEFGHIJ', deviceName: 'temp1', firmwareVersion: '1.0.0' });
  t.true(gw.data.length >= 3);
  t.like(JSON.parse(gw.data[0]!), { seq: 1 });
  await gw.engine.sendData(1, Buffer.from('{"led":"on"}'));
  t.is(Buffer.from(sim.received[0]!).toString(), '{"led":"on"}');
});

test('throttled pipe serialises at the line rate: 11,520 bytes take one second at 115200 8N1', (t) => {
  const scheduler = new ManualScheduler();
  const pipe = createThrottledPipe({ baudRate: 115_200, latencyMs: 5, scheduler });
  let arrivedAt = 0;
  let got = 0;
  pipe.b.on('data', (b) => {
    got += b.length;
    arrivedAt = scheduler.now();
  });
  for (let i = 0; i < 10; i++) pipe.a.write(new Uint8Array(1152));
  scheduler.advance(5000);
  t.is(got, 11_520);
  t.is(Math.round(arrivedAt), 1005);
});

test('throttled pipe corrupts and loses bytes at the configured rates', (t) => {
  const scheduler = new ManualScheduler();
  const pipe = createThrottledPipe({ corruptRate: 0.01, lossRate: 0.01, seed: 42, scheduler });
  pipe.a.write(new Uint8Array(100_000));
  scheduler.advance(20_000);
  t.true(pipe.stats.bytesCorrupted > 800 && pipe.stats.bytesCorrupted < 1200, String(pipe.stats.bytesCorrupted));
  t.true(pipe.stats.bytesLost > 800 && pipe.stats.bytesLost < 1200);
});

/** A gateway engine and a powered, connected simulator on a throttled line, in virtual time. */
async function onVirtualLine(t: ExecutionContext, options: Partial<SubdeviceSimulatorOptions> = {}, line: { latencyMs?: number } = {}) {
  const scheduler = new ManualScheduler();
  const pipe = createThrottledPipe({ ...line, scheduler });
  const gw = gatewayOn(pipe.a, scheduler);
  const sim = new SubdeviceSimulator(pipe.b, { productId: 'ABCDEFGHIJ', deviceName: 'valve', firmwareVersion: '1.0.0', scheduler, ...options });
  t.teardown(() => {
    gw.engine.stop();
    sim.stop();
  });
  sim.start();
  await runUntil(scheduler, () => sim.connected);
  /** Runs one delivery to its end: the verdict, or the error it failed with. */
  const deliver = async (bytes: Uint8Array, version = '2.0.0', progress?: (p: FirmwareProgress) => void): Promise<unknown> => {
    let result: { value: unknown } | undefined;
    gw.engine.deliverFirmware(1, source(bytes, version), progress).then(
      (value) => (result = { value }),
      (error: unknown) => (result = { value: error }),
    );
    await runUntil(scheduler, () => result !== undefined);
    return result?.value;
  };
  return { scheduler, gw, sim, deliver };
}

test('firmware over a throttled line: success, new version, image intact', async (t) => {
  const { sim, deliver } = await onVirtualLine(t, {}, { latencyMs: 5 });
  const bytes = image(40_000);
  const progress: FirmwareProgress[] = [];
  t.deepEqual(await deliver(bytes, '2.0.0', (p) => progress.push(p)), { ok: true, version: '2.0.0' });
  t.deepEqual(Buffer.from(sim.lastImage!), Buffer.from(bytes));
  t.deepEqual([...new Set(progress.map((p) => p.phase))], ['transferring', 'applying']);
  t.is(sim.version, '2.0.0');
});

test('firmware: the simulator crashes mid-transfer, restarts, and the next delivery resumes', async (t) => {
  const { scheduler, gw, sim, deliver } = await onVirtualLine(t, { firmware: { cutAt: 20_000 } }, { latencyMs: 5 });
  const bytes = image(40_000);
  t.true((await deliver(bytes)) instanceof Error);
  sim.start();
  await runUntil(scheduler, () => sim.connected && gw.engine.peers().length === 1);
  t.deepEqual(await deliver(bytes), { ok: true, version: '2.0.0' });
  t.is(sim.offersFrom[0], 0);
  t.true(sim.offersFrom[1]! >= 20_000, `resumed from ${sim.offersFrom[1]}`);
  t.deepEqual(Buffer.from(sim.lastImage!), Buffer.from(bytes));
});

test('firmware: a failing apply reports the configured code and message', async (t) => {
  const { sim, deliver } = await onVirtualLine(t, { firmware: { fail: -5, message: 'flash erase failed' } });
  t.deepEqual(await deliver(image(3000)), { ok: false, code: -5, message: 'flash erase failed' });
  t.is(sim.version, '1.0.0');
});

test('firmware: with rebootAfterApplyMs the simulator says HELLO again running the new version', async (t) => {
  const { scheduler, gw, deliver } = await onVirtualLine(t, { deviceName: 'lamp', rebootAfterApplyMs: 100 });
  t.deepEqual(await deliver(image(2000), '1.1.0'), { ok: true, version: '1.1.0' });
  t.true(await runUntil(scheduler, () => gw.attached.length === 2));
  t.is(gw.attached[1]!.firmwareVersion, '1.1.0');
});

for (const goodbye of [false, true]) {
  test(`firmware: rebootAt${goodbye ? ' with goodbye' : ''} reboots mid-transfer and is back at once; the next delivery resumes`, async (t) => {
    const { scheduler, gw, sim, deliver } = await onVirtualLine(t, { firmware: { rebootAt: 20_000, goodbye } }, { latencyMs: 5 });
    const bytes = image(40_000);
    t.true((await deliver(bytes)) instanceof Error);
    t.true(await runUntil(scheduler, () => gw.attached.length === 2, 2_000), 'back well before a keepalive timeout');
    t.deepEqual(await deliver(bytes), { ok: true, version: '2.0.0' });
    t.true(sim.offersFrom[1]! >= 20_000, `resumed from ${sim.offersFrom[1]}`);
  });
}
