import 'reflect-metadata';
import test from 'ava';
import { LinkError, OTA_FAIL, otaLegProgress, type FirmwareDeliveryResult } from '@iotgw/domain';
import { FakeFirmwareStore } from '@iotgw/testkit';
import { otaStateKey } from '../src/index.js';
import { harness, progressStates, SUB_A, SUB_B, until } from './support/harness.js';
import { IMAGE, PhaseRecordingStore, seedJob, URL_V2 } from './support/ota.js';

test('the version a subdevice runs is reported when it goes online', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.reports.length === 1, 'version reported');
  t.deepEqual(progressStates(h.hub, SUB_A), ['version 1.0.0']);
  await h.gateway.dispose();
});

test('an update end to end: downloading 0% and 100%, burning 0% and 100% (the delivery), done, new version; every transition persisted; state removed at the end', async (t) => {
  const store = new PhaseRecordingStore();
  const h = await harness({ store });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'new version reported');
  await h.idle();

  t.deepEqual(progressStates(h.hub, SUB_A), [
    'version 1.0.0',
    'downloading 0',
    'downloading 100',
    'burning 0',
    'burning 100',
    'done',
    'version 2.0.0',
  ]);
  t.deepEqual(store.phases, ['update_received', 'downloading', 'downloaded', 'delivering', 'burning', 'done']);
  t.is(new TextDecoder().decode(h.link.subdevice(SUB_A)?.lastImage), IMAGE, 'the subdevice got the exact image');
  t.is(h.link.subdevice(SUB_A)?.version, '2.0.0');
  t.is(store.job(SUB_A), undefined, 'finished and reported: forgotten');
  t.is(h.firmware.cached, 0, 'the image was released');
  await h.gateway.dispose();
});

test('download progress: 0% at once, then at most one report per second (by the Clock), 100% at once', async (t) => {
  const firmware = new FakeFirmwareStore({ steps: 4 });
  const h = await harness({ firmware });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const job = firmware.addImage(URL_V2, new Uint8Array(400), '2.0.0');
  firmware.pauseAt(100);
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await firmware.whenPaused();
  await until(() => progressStates(h.hub, SUB_A).includes('downloading 0'), '0%');
  t.false(progressStates(h.hub, SUB_A).includes('downloading 25'), '25% came within the second: not reported');
  await h.clock.advance(1000);
  firmware.resume();
  await until(() => progressStates(h.hub, SUB_A).includes('done'), 'done');
  await h.idle();
  t.deepEqual(
    progressStates(h.hub, SUB_A).filter((s) => s.startsWith('downloading')),
    ['downloading 0', 'downloading 50', 'downloading 100'],
    '50% after a second passed, 75% right after it suppressed, 100% at once',
  );
  await h.gateway.dispose();
});

test('many subdevices needing the same image: one download, every one updated', async (t) => {
  const h = await harness({ ota: { concurrencyPerLink: 2 } });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.attach(SUB_B, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  h.hub.pushFirmwareUpdate(SUB_B, job);
  await until(() => progressStates(h.hub, SUB_A).includes('done') && progressStates(h.hub, SUB_B).includes('done'), 'both done');
  await h.idle();
  t.is(h.firmware.downloads.get(URL_V2), 1);
  t.is(h.link.subdevice(SUB_B)?.version, '2.0.0');
  await h.gateway.dispose();
});

test('OTA deliveries on one link run one at a time by default', async (t) => {
  const h = await harness();
  let active = 0;
  let most = 0;
  const deliver = h.link.deliverFirmware.bind(h.link);
  h.link.deliverFirmware = async (...args): Promise<FirmwareDeliveryResult> => {
    most = Math.max(most, ++active);
    try {
      return await deliver(...args);
    } finally {
      active--;
    }
  };
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.attach(SUB_B, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  h.hub.pushFirmwareUpdate(SUB_B, job);
  await until(() => progressStates(h.hub, SUB_A).includes('done') && progressStates(h.hub, SUB_B).includes('done'), 'both done');
  t.is(most, 1);
  await h.gateway.dispose();
});

for (const [code, why] of [
  [OTA_FAIL.downloadTimeout, 'network'],
  [OTA_FAIL.fileNotFound, 'HTTP 404'],
  [OTA_FAIL.authFailed, 'URL expired'],
  [OTA_FAIL.md5Mismatch, 'bad image'],
] as const) {
  test(`a download failing with ${code} (${why}) is reported as fail ${code}`, async (t) => {
    const store = new PhaseRecordingStore();
    const h = await harness({ store });
    await h.gateway.start();
    h.link.attach(SUB_A, '1.0.0');
    await h.idle();
    const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
    h.firmware.failNext(code, why);
    h.hub.pushFirmwareUpdate(SUB_A, job);
    await until(() => progressStates(h.hub, SUB_A).includes(`fail ${code}`), 'fail reported');
    await h.idle();
    t.deepEqual(progressStates(h.hub, SUB_A), ['version 1.0.0', 'downloading 0', `fail ${code}`]);
    t.is(store.phases.at(-1), 'failed');
    t.is(h.link.subdevice(SUB_A)?.deliveredFrom.length, 0, 'nothing delivered');
    await h.gateway.dispose();
  });
}

test('a download that takes too long fails with -1', async (t) => {
  const h = await harness({ ota: { downloadTimeoutMs: 50 } });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.firmware.pauseAt(10);
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => progressStates(h.hub, SUB_A).includes('fail -1'), 'fail -1');
  h.firmware.resume();
  await h.gateway.dispose();
  t.pass();
});

test('the subdevice refusing to apply the image is reported as fail -5 with its message', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.setFirmwareBehaviour(SUB_A, { fail: 7, message: 'flash write error' });
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => progressStates(h.hub, SUB_A).includes('fail -5'), 'fail -5');
  const fail = h.hub.reports.find((r) => r.kind === 'progress' && r.report.state === 'fail');
  t.regex(fail?.kind === 'progress' && fail.report.state === 'fail' ? fail.report.message : '', /code 7.*flash write error/);
  t.deepEqual(progressStates(h.hub, SUB_A).slice(-2), ['burning 100', 'fail -5']);
  await h.gateway.dispose();
});

test('a link cut during delivery resumes from the acknowledged offset when the subdevice reattaches', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.setFirmwareBehaviour(SUB_A, { cutAt: 200 });
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => h.link.subdevice(SUB_A)?.attached === false, 'cut');
  h.link.attach(SUB_A, '1.0.0');
  await until(() => progressStates(h.hub, SUB_A).includes('done'), 'done');
  t.deepEqual(h.link.subdevice(SUB_A)?.deliveredFrom, [0, 200]);
  await h.gateway.dispose();
});

for (const [how, goodbye] of [
  ['re-HELLO (killed and back before the keepalive lapsed)', false],
  ['BYE(reboot) then HELLO', true],
] as const) {
  test(`a subdevice rebooting mid-transfer by ${how} gets a new offer at once and resumes at the held offset`, async (t) => {
    // The detach and the attach reach the gateway in the same tick, before the failed transfer
    // settles: a wait for "a fresh attach" that subscribes only after it would miss it and stall
    // until attachTimeoutMs (set far beyond this test's own deadline).
    const h = await harness({ ota: { attachTimeoutMs: 600_000 } });
    await h.gateway.start();
    h.link.attach(SUB_A, '1.0.0');
    h.link.setFirmwareBehaviour(SUB_A, { rebootAt: 200, goodbye });
    const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
    h.hub.pushFirmwareUpdate(SUB_A, job);
    await until(() => progressStates(h.hub, SUB_A).includes('done'), 'done after the reboot', 10_000);
    t.deepEqual(h.link.subdevice(SUB_A)?.deliveredFrom, [0, 200], 'resumed at the held offset');
    t.is(new TextDecoder().decode(h.link.subdevice(SUB_A)?.lastImage), IMAGE);
    t.true(h.logger.lines.some((l) => l.message.includes('resuming once the subdevice reattaches')));
    await h.gateway.dispose();
  });
}

test('the directory: a wait for an attach after epoch N resolves for an attach that happened before the wait began', async (t) => {
  const h = await harness();
  await h.gateway.start();
  const { directory } = h.gateway.service;
  h.link.attach(SUB_A, '1.0.0');
  const first = directory.find(SUB_A);
  if (!first) return t.fail('not attached');
  h.link.detach(SUB_A);
  h.link.attach(SUB_A, '1.0.0');
  const again = await directory.waitForAttach(SUB_A, () => true, { timeoutMs: 1000, after: first.epoch });
  t.true(again.epoch > first.epoch);
  await t.throwsAsync(directory.waitForAttach(SUB_A, () => true, { timeoutMs: 50, after: again.epoch }), { message: /timed out/ });
  await h.gateway.dispose();
});

test('a subdevice that is not attached gets fail -5 after attachTimeoutMs', async (t) => {
  const h = await harness({ ota: { attachTimeoutMs: 50 } });
  await h.gateway.start();
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => progressStates(h.hub, SUB_A).includes('fail -5'), 'fail -5');
  t.deepEqual(progressStates(h.hub, SUB_A), ['downloading 0', 'downloading 100', 'fail -5']);
  await h.gateway.dispose();
});

test('a subdevice reporting another version after the update is a failure (-5)', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  const deliver = h.link.deliverFirmware.bind(h.link);
  h.link.deliverFirmware = async (...args): Promise<FirmwareDeliveryResult> => {
    await deliver(...args);
    return { ok: true, version: '1.0.0' };
  };
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => progressStates(h.hub, SUB_A).includes('fail -5'), 'fail -5');
  t.pass();
  await h.gateway.dispose();
});

test('a repeated push of the running job is ignored; a different job replaces it', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const v2 = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  const v3 = h.firmware.addImage('https://firmware.example/sensor-3.0.0.bin', IMAGE + 'v3', '3.0.0');
  h.firmware.pauseAt(100);
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  await h.firmware.whenPaused();
  h.hub.pushFirmwareUpdate(SUB_A, v2);
  await until(() => h.logger.lines.some((l) => l.message.includes('already in progress')), 'ignored');
  h.hub.pushFirmwareUpdate(SUB_A, v3);
  await until(() => progressStates(h.hub, SUB_A).includes('version 3.0.0'), 'v3 done');
  h.firmware.resume();
  await h.idle();
  t.is(h.link.subdevice(SUB_A)?.version, '3.0.0');
  t.is(h.gateway.service.ota.jobOf(SUB_A), undefined);
  await h.gateway.dispose();
});

test('the hub refusing the final report: kept, and sent after the connection comes back', async (t) => {
  const h = await harness({ hubTimeoutMs: 50 });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  // downloading 0 and 100, burning 0 and 100 go through; the done report is never answered.
  for (let i = 0; i < 4; i++) h.hub.delayNext('report', 0);
  h.hub.dropNext('report');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => h.logger.lines.some((l) => l.message.includes('will retry after reconnect')), 'verdict not delivered');
  await h.idle();
  t.false(progressStates(h.hub, SUB_A).includes('done'));
  t.is((h.store.snapshot()[otaStateKey(SUB_A)] as { phase?: string }).phase, 'done', 'kept as done, not reported');
  h.hub.disconnect();
  h.hub.reconnect();
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'reported after reconnect');
  await h.idle();
  t.is(h.store.snapshot()[otaStateKey(SUB_A)], undefined);
  await h.gateway.dispose();
});

test('dispose cancels a running update and keeps its state for the next start', async (t) => {
  const store = new PhaseRecordingStore();
  const h = await harness({ store });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const job = h.firmware.addImage(URL_V2, new Uint8Array(400), '2.0.0');
  h.firmware.pauseAt(100);
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await h.firmware.whenPaused();
  await h.gateway.dispose();
  h.firmware.resume();
  t.is((store.job(SUB_A) as { phase?: string }).phase, 'downloading');
  t.false(progressStates(h.hub, SUB_A).some((s) => s.startsWith('fail')), 'a cancel is not a failure');
});

test('a link that reports the subdevice unknown right after a cut: the job waits for a fresh attach and resumes', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  const deliver = h.link.deliverFirmware.bind(h.link);
  let calls = 0;
  h.link.deliverFirmware = (...args): Promise<FirmwareDeliveryResult> => {
    // First call: the link says it lost the subdevice, but the detach event has not come yet.
    if (++calls === 1) return Promise.reject(new LinkError('link.unknown_subdevice', 'sensor-a is not attached'));
    return deliver(...args);
  };
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => calls === 1, 'first attempt');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  t.false(progressStates(h.hub, SUB_A).includes('done'), 'waiting for the subdevice to come back');
  h.link.attach(SUB_A, '1.0.0');
  await until(() => progressStates(h.hub, SUB_A).includes('done'), 'done after the fresh attach');
  t.is(calls, 2);
  await h.gateway.dispose();
});

test('the hub not answering a version report or a publish: logged, nothing else breaks', async (t) => {
  const h = await harness({ hubTimeoutMs: 50 });
  await h.gateway.start();
  h.hub.dropNext('report');
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.logger.lines.some((l) => l.message.includes('reporting the version') && l.message.includes('timed out')), 'version timeout');
  h.hub.dropNext('publish');
  h.link.emitData(SUB_A, 'lost?');
  h.link.emitData(SUB_A, 'second');
  await until(() => h.hub.published.length === 1, 'the next publish goes through');
  t.is(new TextDecoder().decode(h.hub.published[0]!.payload), 'second');
  await h.gateway.dispose();
});

test('dispose cancels a delivery in progress and a job waiting for the link slot; neither is reported as failed', async (t) => {
  const store = new PhaseRecordingStore();
  const h = await harness({ store });
  let cancelled = 0;
  h.link.deliverFirmware = (_sub, _image, options): Promise<FirmwareDeliveryResult> =>
    new Promise((_resolve, reject) => {
      options?.signal?.addEventListener('abort', () => {
        cancelled++;
        reject(new Error('aborted'));
      });
    });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.attach(SUB_B, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  h.hub.pushFirmwareUpdate(SUB_B, job);
  await until(() => {
    const phases = [SUB_A, SUB_B].map((s) => (store.job(s) as { phase?: string } | undefined)?.phase);
    return phases[0] === 'delivering' && phases[1] === 'downloaded';
  }, 'both downloaded: one delivering, one waiting for the slot');
  await h.gateway.dispose();
  t.is(cancelled, 1, 'the running delivery saw the abort');
  t.false([SUB_A, SUB_B].some((s) => progressStates(h.hub, s).some((r) => r.startsWith('fail'))));
  t.is((store.job(SUB_B) as { phase?: string }).phase, 'downloaded', 'kept for the next start');
});

test('the OTA bound is per link: subdevices on two links are updated at the same time', async (t) => {
  const h = await harness({ linkCount: 2 });
  let active = 0;
  let most = 0;
  for (const link of h.links) {
    const deliver = link.deliverFirmware.bind(link);
    link.deliverFirmware = async (...args): Promise<FirmwareDeliveryResult> => {
      most = Math.max(most, ++active);
      try {
        return await deliver(...args);
      } finally {
        active--;
      }
    };
  }
  await h.gateway.start();
  h.links[0]!.attach(SUB_A, '1.0.0');
  h.links[1]!.attach(SUB_B, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, job);
  h.hub.pushFirmwareUpdate(SUB_B, job);
  await until(() => progressStates(h.hub, SUB_A).includes('done') && progressStates(h.hub, SUB_B).includes('done'), 'both done');
  t.is(most, 2);
  t.is(h.firmware.downloads.get(URL_V2), 1);
  await h.gateway.dispose();
});

test('stop cancels at once a job waiting for its subdevice to attach and one waiting for its verdict; both are kept for the next start', async (t) => {
  const store = new PhaseRecordingStore();
  // Waits far longer than the test's own timeout: a stop that waited for them would fail the test.
  const h = await harness({ store, ota: { attachTimeoutMs: 600_000, verdictTimeoutMs: 600_000 } });
  await seedJob(store, SUB_B, h.firmware.addImage(URL_V2, IMAGE, '2.0.0'), { phase: 'burning', percent: 100 });
  await h.gateway.start();
  h.hub.pushFirmwareUpdate(SUB_A, h.firmware.addImage(URL_V2, IMAGE, '2.0.0')); // SUB_A never attaches
  await until(() => (store.job(SUB_A) as { phase?: string } | undefined)?.phase === 'downloaded', 'A waits for an attach');
  await h.gateway.dispose();
  t.is((store.job(SUB_A) as { phase?: string }).phase, 'downloaded');
  t.is((store.job(SUB_B) as { phase?: string }).phase, 'burning');
  t.false([SUB_A, SUB_B].some((s) => progressStates(h.hub, s).some((r) => r.startsWith('fail'))), 'a stop is not a verdict');
});

test('delivery progress reaches the hub as burning with a percent: 0 at the start, at most one per interval (by the Clock), 100 at once when written', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  const job = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
  const seen: Array<number | undefined> = [];
  h.link.deliverFirmware = async (_sub, img, options): Promise<FirmwareDeliveryResult> => {
    const progress = (percent: number, phase: 'transferring' | 'applying' = 'transferring'): void => {
      options?.onProgress?.({ phase, bytes: Math.floor((img.size * percent) / 100), total: img.size, percent });
      seen.push(otaLegProgress(h.gateway.service.ota.jobOf(SUB_A)!).delivery);
    };
    progress(0);
    progress(10);
    progress(20); // within the second: not reported
    await h.clock.advance(1000);
    progress(30);
    progress(40); // right after: not reported
    progress(100); // every byte acknowledged: at once
    progress(100, 'applying');
    return { ok: true, version: '2.0.0' };
  };
  h.hub.pushFirmwareUpdate(SUB_A, job);
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'done');
  await h.idle();
  t.deepEqual(progressStates(h.hub, SUB_A).filter((s) => s.startsWith('burning') || s === 'done'), ['burning 0', 'burning 30', 'burning 100', 'done']);
  t.deepEqual(seen, [0, 10, 20, 30, 40, 100, 100], 'the status follows every step, reported or not');
  await h.gateway.dispose();
});
