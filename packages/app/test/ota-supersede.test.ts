import 'reflect-metadata';
import test from 'ava';
import type { FirmwareDeliveryResult, FirmwareJob } from '@iotgw/domain';
import { FakeFirmwareStore } from '@iotgw/testkit';
import { MAX_QUEUED_VERDICTS } from '../src/index.js';
import { failReports, harness, progressStates, SUB_A, SUB_B, until, type Harness } from './support/harness.js';
import { IMAGE, PhaseRecordingStore } from './support/ota.js';

/** Counts deliveries started (and the most running at once) on the harness's first link. */
function countDeliveries(h: Harness): { started: number; most: number; signals: AbortSignal[] } {
  const counts = { started: 0, most: 0, signals: [] as AbortSignal[] };
  let active = 0;
  const deliver = h.link.deliverFirmware.bind(h.link);
  h.link.deliverFirmware = async (sub, image, options): Promise<FirmwareDeliveryResult> => {
    counts.started++;
    if (options?.signal) counts.signals.push(options.signal);
    counts.most = Math.max(counts.most, ++active);
    try {
      return await deliver(sub, image, options);
    } finally {
      active--;
    }
  };
  return counts;
}

function image(h: Harness, version: string): FirmwareJob {
  return h.firmware.addImage(`https://firmware.example/sensor-${version}.bin`, `${IMAGE} ${version}`, version);
}

test('pushes 3.0.0, 4.0.0, 2.0.0 arriving together: the last one wins, one delivery, the others end superseded', async (t) => {
  const store = new PhaseRecordingStore();
  const h = await harness({ store });
  const deliveries = countDeliveries(h);
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  const [v3, v4, v2] = [image(h, '3.0.0'), image(h, '4.0.0'), image(h, '2.0.0')];
  h.hub.pushFirmwareUpdate(SUB_A, v3);
  h.hub.pushFirmwareUpdate(SUB_A, v4);
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), '2.0.0 done');
  await h.idle();

  t.is(h.link.subdevice(SUB_A)?.version, '2.0.0', 'the last push was flashed');
  t.is(deliveries.started, 1, 'only the winner was delivered');
  const fails = failReports(h.hub, SUB_A);
  t.deepEqual(fails.map((f) => f.version).sort(), ['3.0.0', '4.0.0']);
  for (const f of fails) {
    t.is(f.code, -5);
    t.regex(f.message, /superseded: a newer update \(to (4\.0\.0|2\.0\.0)\)/);
  }
  t.is(h.gateway.service.ota.jobOf(SUB_A), undefined);
  t.is(store.job(SUB_A), undefined, 'the winner finished: nothing left on disk');
  t.is(h.firmware.cached, 0, 'every image released');
  await h.gateway.dispose();
});

test('a push during a delivery aborts it through its signal; the old version ends superseded, the new one is delivered', async (t) => {
  const h = await harness();
  const deliveries = countDeliveries(h);
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const v2 = image(h, '2.0.0');
  const v3 = image(h, '3.0.0');
  // The first delivery hangs half-way until it is aborted.
  const deliver = h.link.deliverFirmware.bind(h.link);
  let first = true;
  h.link.deliverFirmware = (sub, img, options): Promise<FirmwareDeliveryResult> => {
    if (!first) return deliver(sub, img, options);
    first = false;
    deliveries.started++;
    options?.onProgress?.({ phase: 'transferring', bytes: 100, total: img.size, percent: 20 });
    return new Promise((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(new Error('aborted by the gateway'))));
  };
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  await until(() => h.gateway.service.ota.jobOf(SUB_A)?.phase === 'delivering', 'v2 delivering');
  h.hub.pushFirmwareUpdate(SUB_A, v3);
  await until(() => progressStates(h.hub, SUB_A).includes('version 3.0.0'), 'v3 done');
  await h.idle();
  t.is(deliveries.started, 2);
  t.is(h.link.subdevice(SUB_A)?.version, '3.0.0');
  const fails = failReports(h.hub, SUB_A);
  t.is(fails.length, 1);
  t.like(fails[0], { version: '2.0.0', code: -5 });
  t.regex(fails[0]?.message ?? '', /superseded.*3\.0\.0.*phase delivering/);
  // v2's reports are in order: its fail comes after its progress reports, never before.
  const v2States = h.hub.reports.flatMap((r) => (r.kind === 'progress' && r.report.version === '2.0.0' ? [r.report.state] : []));
  t.deepEqual(v2States, ['downloading', 'downloading', 'burning', 'fail']);
  await h.gateway.dispose();
});

test('a superseded download is abandoned unless another job shares it', async (t) => {
  const firmware = new FakeFirmwareStore({ steps: 4 });
  const h = await harness({ firmware, ota: { concurrencyPerLink: 2 } });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.attach(SUB_B, '1.0.0');
  const shared = image(h, '2.0.0');
  const v3 = image(h, '3.0.0');
  firmware.pauseAt(100);
  h.hub.pushFirmwareUpdate(SUB_A, shared);
  h.hub.pushFirmwareUpdate(SUB_B, shared);
  await firmware.whenPaused();
  h.hub.pushFirmwareUpdate(SUB_A, v3); // SUB_A leaves the shared download; SUB_B still needs it
  await until(() => progressStates(h.hub, SUB_A).includes('fail -5'), 'A superseded');
  firmware.resume();
  await until(() => progressStates(h.hub, SUB_A).includes('version 3.0.0') && progressStates(h.hub, SUB_B).includes('version 2.0.0'), 'both done');
  await h.idle();
  t.is(firmware.downloads.get(shared.url), 1, 'the shared download went on for SUB_B');
  t.is(h.link.subdevice(SUB_B)?.version, '2.0.0');

  // Alone, the superseded download stops where it was (its bytes kept for a later push).
  const v4 = image(h, '4.0.0');
  const v5 = image(h, '5.0.0');
  firmware.pauseAt(100);
  h.hub.pushFirmwareUpdate(SUB_A, v4);
  await firmware.whenPaused();
  h.hub.pushFirmwareUpdate(SUB_A, v5);
  await until(() => progressStates(h.hub, SUB_A).includes('version 5.0.0'), 'v5 done');
  firmware.resume();
  await h.idle();
  t.true(firmware.partialBytes(v4) > 0 && firmware.partialBytes(v4) < v4.size, `v4 stopped at ${firmware.partialBytes(v4)} of ${v4.size}`);
  await h.gateway.dispose();
});

// Serial (ava runs it before the others): it measures heap growth and keeps the CPU busy for a while.
test.serial('a flood of 5000 pushes: one job runs, memory stays bounded, every other version is reported superseded once', async (t) => {
  const h = await harness();
  const deliveries = countDeliveries(h);
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  const base = image(h, '1.5.0');
  const ota = h.gateway.service.ota;
  const heapBefore = process.memoryUsage().heapUsed;
  let mostJobs = 0;
  let mostVerdicts = 0;
  const N = 5000;
  for (let i = 1; i <= N; i++) {
    h.hub.pushFirmwareUpdate(SUB_A, { ...base, version: `2.0.${i}` });
    mostJobs = Math.max(mostJobs, ota.jobCount);
    mostVerdicts = Math.max(mostVerdicts, ota.queuedVerdicts);
  }
  const heapAfterPushes = process.memoryUsage().heapUsed;
  await until(() => progressStates(h.hub, SUB_A).includes(`version 2.0.${N}`), 'the last push done', 60_000);
  await h.idle();
  t.log(`jobs held at most ${mostJobs}, verdicts queued at most ${mostVerdicts}, heap +${((heapAfterPushes - heapBefore) / 1e6).toFixed(1)} MB after the pushes`);
  t.true(mostJobs <= 2, `${mostJobs} jobs held at once`);
  t.true(mostVerdicts <= MAX_QUEUED_VERDICTS);
  t.is(deliveries.started, 1, 'one delivery, of the last push');
  t.is(h.link.subdevice(SUB_A)?.version, `2.0.${N}`);
  t.true(h.firmware.starts.length <= 2, `${h.firmware.starts.length} downloads started`);
  const superseded = new Set(failReports(h.hub, SUB_A).filter((f) => /superseded/.test(f.message)).map((f) => f.version));
  t.is(superseded.size, N - 1, 'every other version got its verdict, once');
  t.is(failReports(h.hub, SUB_A).length, N - 1, 'no version reported twice');
  // 5000 live jobs with their loggers, tasks and closures took >100 MB; the flood itself must stay small.
  t.true(heapAfterPushes - heapBefore < 64e6, `heap grew ${heapAfterPushes - heapBefore} bytes`);
  t.is(ota.jobCount, 0);
  t.is(ota.queuedVerdicts, 0);
  await h.gateway.dispose();
});

test('a repeated push never disturbs the job in progress; a re-push of the finished version runs again', async (t) => {
  const h = await harness();
  const deliveries = countDeliveries(h);
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const v2 = image(h, '2.0.0');
  h.firmware.pauseAt(100);
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  await h.firmware.whenPaused();
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  h.firmware.resume();
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'v2 done');
  await h.idle();
  t.is(deliveries.started, 1);
  t.is(failReports(h.hub, SUB_A).length, 0);
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  await until(() => progressStates(h.hub, SUB_A).filter((s) => s === 'done').length === 2, 'v2 done again');
  await h.idle();
  t.is(deliveries.started, 2);
  await h.gateway.dispose();
});
