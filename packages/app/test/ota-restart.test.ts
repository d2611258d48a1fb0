import 'reflect-metadata';
import test from 'ava';
import { OTA_FAIL } from '@iotgw/domain';
import { FakeFirmwareStore } from '@iotgw/testkit';
import { otaStateKey } from '../src/index.js';
import { harness, progressStates, SUB_A, until } from './support/harness.js';
import { IMAGE, PhaseRecordingStore, seedJob, URL_V2 } from './support/ota.js';

// Each test runs a gateway into the middle of an OTA phase, disposes it (as a restart would end it),
// then starts a new gateway, with a new coordinator, over the same StateStore and FirmwareStore.

test('restart while downloading: the download resumes from what it had and the job completes', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore({ steps: 4 });
  const first = await harness({ store, firmware });
  await first.gateway.start();
  first.link.attach(SUB_A, '1.0.0');
  const job = firmware.addImage(URL_V2, new Uint8Array(400).fill(7), '2.0.0');
  firmware.pauseAt(200);
  first.hub.pushFirmwareUpdate(SUB_A, job);
  await firmware.whenPaused();
  await first.gateway.dispose();
  firmware.resume();
  t.is((store.job(SUB_A) as { phase?: string }).phase, 'downloading');

  const second = await harness({ store, firmware });
  second.link.attach(SUB_A, '1.0.0');
  await second.gateway.start();
  await until(() => progressStates(second.hub, SUB_A).includes('version 2.0.0'), 'done after restart');
  await second.idle();
  t.true(firmware.starts.at(-1)!.from > 0, 'resumed, not restarted from byte 0');
  t.deepEqual(progressStates(second.hub, SUB_A).filter((s) => s !== 'version 1.0.0')[0], 'downloading 50', 'resumed progress first');
  t.is(second.link.subdevice(SUB_A)?.version, '2.0.0');
  await second.gateway.dispose();
});

test('restart after the download: the job goes straight to delivery (no download, no downloading report)', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore();
  const first = await harness({ store, firmware, ota: { attachTimeoutMs: 60_000 } });
  await first.gateway.start();
  const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
  // The subdevice is not attached: the job downloads, then waits for it in phase 'downloaded'.
  first.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => store.phases.includes('downloaded'), 'downloaded');
  await first.gateway.dispose();
  t.is((store.job(SUB_A) as { phase?: string }).phase, 'downloaded');

  const second = await harness({ store, firmware });
  second.link.attach(SUB_A, '1.0.0');
  await second.gateway.start();
  await until(() => progressStates(second.hub, SUB_A).includes('version 2.0.0'), 'done');
  // The version report (on online) and the delivery's first report race; each in its own order.
  t.true(progressStates(second.hub, SUB_A).includes('version 1.0.0'));
  t.deepEqual(
    progressStates(second.hub, SUB_A).filter((s) => s !== 'version 1.0.0'),
    ['burning 0', 'burning 100', 'done', 'version 2.0.0'],
  );
  t.is(firmware.downloads.get(URL_V2), 1, 'downloaded once across the restart');
  await second.gateway.dispose();
});

test('restart while delivering: delivery starts again over the new link and the job completes', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore();
  const first = await harness({ store, firmware, ota: { attachTimeoutMs: 60_000 } });
  await first.gateway.start();
  first.link.attach(SUB_A, '1.0.0');
  first.link.setFirmwareBehaviour(SUB_A, { cutAt: 200 });
  const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
  first.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => first.link.subdevice(SUB_A)?.attached === false, 'link cut mid-delivery');
  await first.gateway.dispose();
  const persisted = store.job(SUB_A) as { phase?: string; percent?: number };
  t.is(persisted.phase, 'delivering');
  t.true((persisted.percent ?? 0) > 0);

  const second = await harness({ store, firmware });
  second.link.attach(SUB_A, '1.0.0');
  await second.gateway.start();
  await until(() => progressStates(second.hub, SUB_A).includes('version 2.0.0'), 'done');
  t.false(progressStates(second.hub, SUB_A).some((s) => s.startsWith('downloading')));
  t.is(firmware.downloads.get(URL_V2), 1);
  await second.gateway.dispose();
});

test('restart while burning: the subdevice coming back with the new version means done', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore();
  const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
  await seedJob(store, SUB_A, job, { phase: 'burning', percent: 100 });
  const h = await harness({ store, firmware });
  await h.gateway.start();
  t.is(h.gateway.service.ota.jobOf(SUB_A)?.phase, 'burning', 'waiting for the verdict');
  h.link.attach(SUB_A, '2.0.0');
  await until(() => progressStates(h.hub, SUB_A).includes('done'), 'done');
  await h.idle();
  t.deepEqual(progressStates(h.hub, SUB_A), ['version 2.0.0', 'done', 'version 2.0.0']);
  t.is(firmware.downloads.get(URL_V2), undefined, 'nothing downloaded');
  t.is(h.link.subdevice(SUB_A)?.deliveredFrom.length, 0, 'nothing delivered again');
  t.is(store.job(SUB_A), undefined);
  await h.gateway.dispose();
});

test('restart while burning: a subdevice that does not come back with the new version fails -5 after the timeout', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore();
  const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
  await seedJob(store, SUB_A, job, { phase: 'burning', percent: 100 });
  const h = await harness({ store, firmware, ota: { verdictTimeoutMs: 50 } });
  h.link.attach(SUB_A, '1.0.0');
  await h.gateway.start();
  await until(() => progressStates(h.hub, SUB_A).includes(`fail ${OTA_FAIL.upgradeFailed}`), 'fail -5');
  const fail = h.hub.reports.find((r) => r.kind === 'progress' && r.report.state === 'fail');
  t.regex(fail?.kind === 'progress' && fail.report.state === 'fail' ? fail.report.message : '', /did not come back with version 2\.0\.0/);
  await h.gateway.dispose();
});

for (const [phase, expected] of [
  ['done', ['done', 'version 2.0.0']],
  ['failed', ['fail -4']],
] as const) {
  test(`restart with a ${phase} job whose verdict never reached the hub: it is reported, then forgotten`, async (t) => {
    const store = new PhaseRecordingStore();
    const firmware = new FakeFirmwareStore();
    const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
    await seedJob(store, SUB_A, job, {
      phase,
      percent: 100,
      ...(phase === 'failed' ? { failure: { code: OTA_FAIL.md5Mismatch, message: 'md5 mismatch' } } : {}),
    });
    const h = await harness({ store, firmware });
    await h.gateway.start();
    await until(() => store.job(SUB_A) === undefined, 'forgotten');
    t.deepEqual(progressStates(h.hub, SUB_A), [...expected]);
    await h.gateway.dispose();
  });
}

test('restart with a job whose verdict was reported: nothing is sent, the document is removed', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore();
  const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
  await seedJob(store, SUB_A, job, { phase: 'done', percent: 100, finalReported: true });
  const h = await harness({ store, firmware });
  await h.gateway.start();
  await until(() => store.job(SUB_A) === undefined, 'forgotten');
  t.deepEqual(h.hub.reports, []);
  await h.gateway.dispose();
});

test('a corrupt persisted job is logged and skipped; the gateway still starts', async (t) => {
  const store = new PhaseRecordingStore();
  store.putRaw(otaStateKey(SUB_A), { v: 1, phase: 'warp-speed' });
  const h = await harness({ store });
  await h.gateway.start();
  const line = h.logger.at('error').find((l) => l.message.includes('skipping a persisted OTA job'));
  t.regex(line?.message ?? '', /unknown phase/);
  await h.gateway.dispose();
});

test('restart right after the update was received: the download starts, 0% is reported, the job completes', async (t) => {
  const store = new PhaseRecordingStore();
  const firmware = new FakeFirmwareStore();
  const job = firmware.addImage(URL_V2, IMAGE, '2.0.0');
  await seedJob(store, SUB_A, job, { phase: 'update_received' });
  const h = await harness({ store, firmware });
  h.link.attach(SUB_A, '1.0.0');
  await h.gateway.start();
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'done');
  t.deepEqual(
    progressStates(h.hub, SUB_A).filter((s) => s !== 'version 1.0.0'),
    ['downloading 0', 'downloading 100', 'burning 0', 'burning 100', 'done', 'version 2.0.0'],
  );
  await h.gateway.dispose();
});
