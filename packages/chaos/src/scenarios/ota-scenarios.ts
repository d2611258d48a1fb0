import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OtaJobRecord } from '@iotgw/hub-emulator';
import type { FirmwareRef } from '../rig/hub-handle.js';
import { sleep, until } from '../rig/processes.js';
import type { Rig } from '../rig/rig.js';
import type { Scenario, ScenarioContext } from './scenario.js';

const SENSOR = 'sensor1';

/** A random image of `size` bytes registered at the hub as `version`. */
async function firmware(rig: Rig, version: string, size: number): Promise<FirmwareRef> {
  const path = join(rig.dir, `firmware-${version}.bin`);
  await writeFile(path, randomBytes(size));
  return rig.hub.uploadFirmware(path, version);
}

interface OtaStatus {
  readonly phase: string;
  readonly percent: number;
  readonly version: string;
}

/** The gateway's view of the job (GET /subdevices), or undefined. */
async function gatewayJob(rig: Rig, key: string): Promise<OtaStatus | undefined> {
  const status = await rig.gateway.get<{ subdevices: Array<{ id: string; ota?: OtaStatus }> }>('/subdevices');
  return status?.subdevices.find((s) => s.id === key)?.ota;
}

async function hubJob(rig: Rig, id: string): Promise<OtaJobRecord | undefined> {
  return (await rig.hub.state()).jobs.find((j) => j.id === id);
}

const isFinal = (j: OtaJobRecord | undefined): boolean => j?.state === 'done' || j?.state === 'fail';

/**
 * After an update (one check, `updated`): the job ends `done` at the hub within `timeoutMs`, the
 * subdevice runs the new version, and the hub heard it report that version.
 */
async function expectUpdated(ctx: ScenarioContext, jobId: string, version: string, timeoutMs: number): Promise<void> {
  const { rig, check, note } = ctx;
  const started = Date.now();
  await until(`job ${jobId} to end at the hub`, async () => isFinal(await hubJob(rig, jobId)), timeoutMs, 500).catch(() => undefined);
  const job = await hubJob(rig, jobId);
  const seconds = Math.round((Date.now() - started) / 1000);
  note('hub job', job ? { state: job.state, percent: job.percent, failCode: job.failCode, failMessage: job.failMessage, seconds } : 'missing');
  if (job?.state === 'done') {
    // The subdevice reboots into the image and the gateway reports the version after `done`: give both a moment.
    const settled = async (): Promise<boolean> =>
      (await rig.subdevice(SENSOR).state()).version === version && (await rig.hub.state()).versions[rig.subdevice(SENSOR).key] === version;
    await until('the subdevice to run and report the new version', settled, 30_000, 250).catch(() => undefined);
  }
  const running = (await rig.subdevice(SENSOR).state()).version;
  const reported = (await rig.hub.state()).versions[rig.subdevice(SENSOR).key];
  const jobText = job ? `${job.state} ${job.percent}%${job.failMessage ? ` (${job.failCode}: ${job.failMessage})` : ''}` : 'missing';
  check(
    'updated',
    job?.state === 'done' && running === version && reported === version,
    `job ${jobId} at the hub: ${jobText} after ${seconds} s; sensor1 runs ${running} and last reported ${reported ?? '(none)'}; expected done and ${version}`,
  );
}

/** Waits until the gateway's job for sensor1 is in `phase` with at least `percent`. */
async function waitPhase(rig: Rig, phase: string, percent: number, timeoutMs = 60_000): Promise<OtaStatus | undefined> {
  const key = rig.subdevice(SENSOR).key;
  let seen: OtaStatus | undefined;
  await until(
    `sensor1's job ${phase} ≥ ${percent}%`,
    async () => {
      seen = await gatewayJob(rig, key);
      return seen?.phase === phase && seen.percent >= percent;
    },
    timeoutMs,
    50,
  );
  return seen;
}

/** Pushes a 512 KiB 2.0.0 to sensor1 and waits until its job is in `phase` at `percent` or more; the hub's job id. */
async function pushAndReach(ctx: ScenarioContext, phase: string, percent: number, what: string): Promise<string> {
  const fw = await firmware(ctx.rig, '2.0.0', 512 * 1024);
  const job = await ctx.rig.hub.pushFirmware(ctx.rig.subdevice(SENSOR).key, fw.id);
  ctx.note(what, await waitPhase(ctx.rig, phase, percent));
  return job;
}

export const otaScenarios: readonly Scenario[] = [
  {
    name: 'ota-kill-download',
    profiles: ['full'],
    description: 'kill -9 the gateway while it downloads a firmware image (throttled), start it again: the download resumes, the update completes, the hub hears done and the new version',
    async run(ctx) {
      const { rig, healed } = ctx;
      await rig.hub.setFirmwareFaults({ throttleBytesPerSec: 96 * 1024 });
      const job = await pushAndReach(ctx, 'downloading', 25, 'killed at');
      await rig.gateway.kill('SIGKILL');
      await rig.hub.setFirmwareFaults({});
      rig.gateway.spawnOnly();
      healed();
      await rig.gateway.waitRunning();
      await expectUpdated(ctx, job, '2.0.0', 120_000);
    },
  },
  {
    name: 'ota-kill-delivery',
    profiles: ['short', 'full'],
    description: 'kill -9 the gateway while it delivers the image to the subdevice, start it again: delivery resumes where the subdevice is, the update completes',
    async run(ctx) {
      const { rig, healed, note } = ctx;
      const job = await pushAndReach(ctx, 'delivering', 20, 'killed at');
      await rig.gateway.kill('SIGKILL');
      rig.gateway.spawnOnly();
      healed();
      await rig.gateway.waitRunning();
      await expectUpdated(ctx, job, '2.0.0', 120_000);
      note('offers resumed from', (await rig.subdevice(SENSOR).state()).offersFrom);
    },
  },
  {
    name: 'ota-rehello-mid-transfer',
    profiles: ['short', 'full'],
    description: 'the subdevice says HELLO again (reboots its link engine) in the middle of the delivery: the delivery resumes within a minute, not after the 300 s attach timeout',
    async run(ctx) {
      const { rig, healed } = ctx;
      const job = await pushAndReach(ctx, 'delivering', 20, 're-HELLO at');
      await rig.subdevice(SENSOR).rehello();
      healed();
      await expectUpdated(ctx, job, '2.0.0', 60_000);
    },
  },
  {
    name: 'ota-sigterm-while-waiting',
    profiles: ['short', 'full'],
    description: "SIGTERM the gateway while a firmware job waits for its subdevice (cable pulled): it exits within 15 s, and after a restart with the cable back the job completes",
    async run(ctx) {
      const { rig, healed, check, note } = ctx;
      const sensor = rig.subdevice(SENSOR);
      // The push must reach the gateway while sensor1 is online; the cable goes while it downloads.
      await rig.hub.setFirmwareFaults({ throttleBytesPerSec: 32 * 1024 });
      const fw = await firmware(rig, '2.0.0', 96 * 1024);
      const job = await rig.hub.pushFirmware(sensor.key, fw.id);
      await waitPhase(rig, 'downloading', 0);
      await sensor.link.cut();
      note('waiting at', await waitPhase(rig, 'downloaded', 0));
      const stopMs = await rig.gateway.stop(15_000);
      check('stops-in-time', stopMs !== undefined, stopMs === undefined ? 'still running 15 s after SIGTERM (then killed)' : `exited ${stopMs} ms after SIGTERM`);
      await sensor.link.start();
      await rig.gateway.start();
      healed();
      await expectUpdated(ctx, job, '2.0.0', 120_000);
    },
  },
  {
    name: 'ota-concurrent-pushes',
    profiles: ['short', 'full'],
    description: 'the hub pushes 3.0.0, 4.0.0 and 2.0.0 for one subdevice at once: the last push wins (2.0.0 runs), every superseded job ends with a report',
    async run(ctx) {
      const { rig, check, note, healed } = ctx;
      const key = rig.subdevice(SENSOR).key;
      const images = [await firmware(rig, '3.0.0', 64 * 1024), await firmware(rig, '4.0.0', 64 * 1024), await firmware(rig, '2.0.0', 64 * 1024)];
      const jobs = await Promise.all(images.map((fw) => rig.hub.pushFirmware(key, fw.id)));
      healed();
      await until('every pushed job to end at the hub', async () => (await rig.hub.state()).jobs.filter((j) => jobs.includes(j.id)).every(isFinal), 90_000, 500).catch(() => undefined);
      await sleep(2_000);
      const records = (await rig.hub.state()).jobs.filter((j) => jobs.includes(j.id));
      note('jobs', records.map((j) => `${j.version}: ${j.state} ${j.percent}%${j.failMessage ? ` (${j.failMessage})` : ''}`));
      const running = (await rig.subdevice(SENSOR).state()).version;
      const open = records.filter((j) => !isFinal(j));
      check(
        'last-push-wins',
        running === '2.0.0' && open.length === 0,
        `sensor1 runs ${running} (the last push was 2.0.0); ${open.length === 0 ? 'every job ended with done or fail' : `${open.length} of 3 jobs never ended: ${open.map((j) => `${j.version} ${j.state} ${j.percent}%`).join(', ')}`}`,
      );
    },
  },
];
