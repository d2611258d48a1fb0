import 'reflect-metadata';
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { subdeviceKey } from '@iotgw/domain';
import type { OtaJobRecord } from '@iotgw/hub-emulator';
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
