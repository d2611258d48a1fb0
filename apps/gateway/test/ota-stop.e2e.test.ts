import 'reflect-metadata';
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OtaJobRecord } from '@iotgw/hub-emulator';
import type { DemoSubdevice } from '../src/demo/demo-subdevices.js';
import { waitFor } from '../src/demo/wait-for.js';
import { processRig, type GatewayProcess, type ProcessRig } from './helpers/gateway-process.js';

/** What a stop may take at most, on a loaded 2-core machine (the stall this guards against was minutes). */
const STOP_BOUND_MS = 15_000;

async function pushImage(rig: ProcessRig, bytes: number): Promise<() => OtaJobRecord> {
  const file = join(rig.dir, `fw-${bytes}.bin`);
  await writeFile(file, randomBytes(bytes));
  const image = await rig.hub.registerFirmware({ path: file, version: '1.1.0' });
  const pushed = await rig.hub.core.pushFirmware({ subdevice: 'SB00000001/sensor1', firmwareId: image.id });
  return () => rig.hub.core.jobs.find((j) => j.id === pushed.id) ?? pushed;
}

/** SIGTERM, and how long the process took to exit (fails past STOP_BOUND_MS). */
async function terminate(t: ExecutionContext, gateway: GatewayProcess): Promise<number> {
  const started = Date.now();
  gateway.child.kill('SIGTERM');
  const code = await Promise.race([gateway.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), STOP_BOUND_MS))]);
  const took = Date.now() - started;
  t.not(code, 'hung', `still running ${STOP_BOUND_MS} ms after SIGTERM:\n${gateway.output().slice(-2000)}`);
  t.is(code, 0, gateway.output().slice(-2000));
  return took;
}

/** Polls the gateway's control endpoint until sensor1's job is in `phase`. */
async function waitForPhase(gateway: GatewayProcess, phase: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await (await fetch(`${gateway.control}/subdevices`)).json()) as { subdevices: Array<{ ota?: { phase: string } }> };
    if (status.subdevices[0]?.ota?.phase === phase) return;
    if (Date.now() > deadline) throw new Error(`sensor1's job never reached ${phase}: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A running `iotgw start` with sensor1 online at the hub. */
async function startWithSensor1Online(rig: ProcessRig): Promise<{ gateway: GatewayProcess; sensor1: DemoSubdevice }> {
  const sensor1 = rig.bench.subdevices[0];
  if (!sensor1) throw new Error('one simulated subdevice expected');
  const gateway = await rig.start();
  sensor1.powerOn();
  await waitFor('sensor1 online at the hub', () => rig.hub.isOnline('SB00000001', 'sensor1'), { timeoutMs: 20_000 });
  return { gateway, sensor1 };
}

test.serial('iotgw start: SIGTERM while an OTA job waits for its subdevice to attach exits at once; the next start resumes and finishes the job', async (t) => {
  const rig = await processRig(t);
  if (!rig) return t.pass('socat not installed');
  const started = await startWithSensor1Online(rig);
  const { sensor1 } = started;
  let { gateway } = started;
  // The download takes a moment; the subdevice says goodbye before it ends.
  rig.hub.firmwareFaults = { throttleBytesPerSec: 128 * 1024 };
  const job = await pushImage(rig, 256 * 1024);
  await waitFor('the download under way', () => job().state === 'downloading', { timeoutMs: 20_000, intervalMs: 20 });
  await sensor1.close();
  await waitFor('the download done at the hub', () => job().state === 'downloading' && job().percent === 100, { timeoutMs: 30_000, intervalMs: 50 });
  rig.hub.firmwareFaults = {};
  await waitForPhase(gateway, 'downloaded'); // the gateway now waits for sensor1 to attach
  const took = await terminate(t, gateway);
  t.log(`stopped ${took} ms after SIGTERM`);
  t.is(job().state, 'downloading', 'the stop is not a verdict');

  gateway = await rig.start();
  sensor1.powerOn();
  await waitFor('the resumed job to end', () => job().state === 'done' || job().state === 'fail', { timeoutMs: 60_000, intervalMs: 100 });
  t.is(job().state, 'done', JSON.stringify(job().reports.slice(-3)));
  t.is(sensor1.version(), '1.1.0');
  t.regex(gateway.output(), /resuming the update to 1\.1\.0 in phase downloaded/);
  t.deepEqual(sensor1.offersFrom(), [0], 'delivered once, from the image kept on disk');
  await terminate(t, gateway);
  // Everything the two runs left in the data dir (state, outbox, firmware) is the gateway's alone.
  const loose = await looseEntries(join(rig.dir, 'data'));
  t.deepEqual(loose, [], 'entries readable by other users');
});

/** Entries under `dir` (itself included) with any group/other permission bit, as "mode path". */
async function looseEntries(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if ((info.mode & 0o077) !== 0) out.push(`${(info.mode & 0o777).toString(8)} ${path}`);
    if (info.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(dir);
  return out;
}

test('iotgw start makes a data dir an older version left readable by others owner-only, and says so', async (t) => {
  const rig = await processRig(t);
  if (!rig) return t.pass('socat not installed');
  const data = join(rig.dir, 'data');
  await mkdir(join(data, 'state', 'ota'), { recursive: true, mode: 0o755 });
  await writeFile(join(data, 'state', 'ota', 'old.json'), '{"v":0}', { mode: 0o644 });
  await chmod(data, 0o755);
  const gateway = await rig.start();
  t.regex(gateway.output(), /4 entries were readable by other users; now owner-only \(0700\/0600\)/);
  await terminate(t, gateway);
  t.deepEqual(await looseEntries(data), []);
});

test.serial('iotgw start: SIGTERM during a slow download exits at once; the next start resumes the download', async (t) => {
  const rig = await processRig(t);
  if (!rig) return t.pass('socat not installed');
  let { gateway } = await startWithSensor1Online(rig);
  rig.hub.firmwareFaults = { throttleBytesPerSec: 16 * 1024 };
  const job = await pushImage(rig, 512 * 1024);
  await waitFor('the download under way', () => job().state === 'downloading' && job().percent >= 3, { timeoutMs: 30_000, intervalMs: 50 });
  const took = await terminate(t, gateway);
  t.log(`stopped ${took} ms after SIGTERM, at ${job().percent}%`);
  const before = job().percent;
  rig.hub.firmwareFaults = {};
  gateway = await rig.start();
  await waitFor('the resumed job to end', () => job().state === 'done' || job().state === 'fail', { timeoutMs: 60_000, intervalMs: 100 });
  t.is(job().state, 'done', JSON.stringify(job().reports.slice(-3)));
  t.regex(gateway.output(), /resuming the update to 1\.1\.0 in phase downloading/);
  t.true(before > 0);
  await terminate(t, gateway);
});
