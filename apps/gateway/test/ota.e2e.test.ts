import 'reflect-metadata';
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { subdeviceKey, type OtaReport } from '@iotgw/domain';
import type { OtaJobRecord } from '@iotgw/hub-emulator';
import { runCli } from '../src/index.js';
import '../src/cli/commands.js';
import { ControlServer } from '../src/control/control-server.js';
import { waitFor } from '../src/demo/wait-for.js';
import { SENSOR1, SENSOR2, startRig, type Rig } from './helpers/rig.js';

const s1 = subdeviceKey(SENSOR1);

async function sensor1Online(rig: Rig): Promise<void> {
  rig.bench.subdevices[0]?.powerOn();
  await waitFor('sensor1 online at the hub', () => rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName), { timeoutMs: 20_000 });
}

async function pushImage(rig: Rig, bytes: number, version = '1.1.0'): Promise<() => OtaJobRecord> {
  const file = join(rig.dir, `fw-${version}-${bytes}.bin`);
  await writeFile(file, randomBytes(bytes));
  const image = await rig.hub.registerFirmware({ path: file, version });
  const pushed = await rig.hub.core.pushFirmware({ subdevice: s1, firmwareId: image.id });
  return () => rig.hub.core.jobs.find((j) => j.id === pushed.id) ?? pushed;
}

for (const [how, goodbye] of [
  ['says HELLO again (killed and back before the keepalive timeout)', false],
  ['reboots cleanly (BYE(reboot), then HELLO)', true],
] as const) {
  test.serial(`over a pty: a subdevice that ${how} mid-transfer gets a new offer at once and resumes at the held offset`, async (t) => {
    const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
    if (!rig.bench.subdevices[0]?.rebootDuringFirmware) return t.pass('socat not installed: no serial bench');
    await rig.startGateway();
    await sensor1Online(rig);
    const size = 256 * 1024;
    const rebootAt = 64 * 1024;
    rig.bench.subdevices[0].rebootDuringFirmware(rebootAt, goodbye);
    const job = await pushImage(rig, size);
    // Far below the 5-minute wait for an attach that the missed re-HELLO used to end in.
    await waitFor('the OTA job to end', () => job().state === 'done' || job().state === 'fail', { timeoutMs: 60_000, intervalMs: 100 }).catch((error: unknown) => {
      t.log(JSON.stringify({ state: job().state, percent: job().percent, offers: rig.bench.subdevices[0]?.offersFrom() }));
      throw error;
    });
    t.is(job().state, 'done', JSON.stringify(job().reports.slice(-3)));
    t.is(rig.bench.subdevices[0].version(), '1.1.0');
    const offers = rig.bench.subdevices[0].offersFrom();
    t.log(`offers accepted from offsets ${offers.join(', ')}`);
    t.is(offers.length, 2, `offers from ${offers.join(', ')}`);
    t.is(offers[0], 0);
    t.true((offers[1] ?? 0) >= rebootAt, `the second offer resumed from ${offers[1]}, the subdevice held ${rebootAt}`);
  });
}

test.serial('through the hub emulator: a push sent while the subdevice is offline is flashed once it comes online (its version report brings the push again)', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  await rig.startGateway();
  t.false(rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName), 'sensor1 is still powered off');
  // Nobody follows sensor1's update topic now: this push is lost on the wire.
  const job = await pushImage(rig, 64 * 1024);
  await sensor1Online(rig);
  await waitFor('the OTA job to end', () => job().state === 'done' || job().state === 'fail', { timeoutMs: 60_000, intervalMs: 100 }).catch((error: unknown) => {
    t.log(JSON.stringify({ state: job().state, reports: job().reports.length }));
    throw error;
  });
  t.is(job().state, 'done', JSON.stringify(job().reports.slice(-3)));
  t.is(rig.bench.subdevices[0]?.version(), '1.1.0');
});

test.serial('through the hub emulator: pushes 3.0.0, 4.0.0, 2.0.0 arriving together flash 2.0.0; the other two hub jobs end fail -5 "superseded"', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  await rig.startGateway();
  await sensor1Online(rig);
  const pushed: Array<() => OtaJobRecord> = [];
  const images = [];
  for (const version of ['3.0.0', '4.0.0', '2.0.0']) {
    const file = join(rig.dir, `fw-${version}.bin`);
    await writeFile(file, randomBytes(64 * 1024));
    images.push(await rig.hub.registerFirmware({ path: file, version }));
  }
  // Sent back to back, before the gateway could start any of them.
  for (const image of images) {
    const job = await rig.hub.core.pushFirmware({ subdevice: s1, firmwareId: image.id });
    pushed.push(() => rig.hub.core.jobs.find((j) => j.id === job.id) ?? job);
  }
  const ended = (j: OtaJobRecord): boolean => j.state === 'done' || j.state === 'fail';
  await waitFor('every hub job to end', () => pushed.every((p) => ended(p())), { timeoutMs: 60_000, intervalMs: 100 }).catch((error: unknown) => {
    t.log(JSON.stringify(pushed.map((p) => [p().version, p().state, p().percent])));
    throw error;
  });
  const [v3, v4, v2] = pushed.map((p) => p());
  t.is(v2?.state, 'done', JSON.stringify(v2?.reports.slice(-3)));
  t.is(rig.bench.subdevices[0]?.version(), '2.0.0', 'the last push was flashed');
  for (const j of [v3, v4]) {
    t.is(j?.state, 'fail', `${j?.version}: ${j?.state}`);
    t.is(j?.failCode, -5);
    t.regex(j?.failMessage ?? '', /superseded/);
  }
  t.true((rig.bench.subdevices[0]?.offersFrom().length ?? 0) <= 1, `offers: ${rig.bench.subdevices[0]?.offersFrom().join(', ')}`);
});

test.serial('both legs of a job: iotgw ota status, /subdevices and /metrics show download and delivery percents; the hub hears the delivery as burning with a percent', async (t) => {
  // Simulated BLE in memory: a slow enough delivery to watch.
  const rig = await startRig(t, { memory: true, bindings: [SENSOR1, SENSOR2] });
  const gateway = await rig.startGateway();
  const control = await ControlServer.start(gateway, 0);
  t.teardown(() => control.close());
  await sensor1Online(rig);
  const job = await pushImage(rig, 48 * 1024);
  type Status = { subdevices: Array<{ id: string; ota?: { phase: string; download: number | null; delivery: number | null } }> };
  let seen: NonNullable<Status['subdevices'][number]['ota']> | undefined;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await (await fetch(`${control.url}/subdevices`)).json()) as Status;
    seen = status.subdevices.find((s) => s.id === s1)?.ota;
    if (seen?.phase === 'delivering' && (seen.delivery ?? 0) > 0 && (seen.delivery ?? 0) < 100) break;
    if (Date.now() > deadline) return t.fail(`no delivery under way seen: ${JSON.stringify(seen)}, hub job ${job().state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.like(seen, { phase: 'delivering', download: 100 });
  const io: { out: string[] } = { out: [] };
  t.is(await runCli(['ota', 'status', '--port', new URL(control.url).port], { out: (l) => io.out.push(l), err: (l) => io.out.push(l) }), 0);
  t.regex(io.out.join('\n'), /subdevice\s+to version\s+phase\s+download\s+delivery/);
  t.regex(io.out.join('\n'), /SB00000001\/sensor1\s+1\.1\.0\s+(delivering|burning)\s+100%\s+\d+%/);
  const metrics = await (await fetch(`${control.url}/metrics`)).text();
  t.regex(metrics, /^iotgw_ota_download_percent\{subdevice="SB00000001\/sensor1"\} 100$/m);
  t.regex(metrics, /^iotgw_ota_delivery_percent\{subdevice="SB00000001\/sensor1"\} \d+$/m);
  await waitFor('the OTA job to end', () => job().state === 'done' || job().state === 'fail', { timeoutMs: 60_000, intervalMs: 100 });
  t.is(job().state, 'done');
  const burning = job()
    .reports.map((r) => r.report)
    .filter((r): r is Extract<OtaReport, { state: 'burning' }> => r.state === 'burning')
    .map((r) => r.percent);
  t.log(`burning reports: ${burning.join(', ')}`);
  t.is(burning[0], 0, 'burning 0 at the start of the delivery');
  t.is(burning.at(-1), 100, 'burning 100 once written');
  t.true(burning.every((p, i) => i === 0 || (p ?? 0) > (burning[i - 1] ?? 0)), 'never backwards, never repeated');
});
