import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SelfUpdateError, type GatewayInstaller, type InstallRequest, type RollbackRequest } from '@iotgw/domain';
import { CapturingLogger, FakeFirmwareStore, FakeHub, ManualClock, MemoryStateStore } from '@iotgw/testkit';
import { gatewaySettings, SELF_UPDATE_KEY, SelfUpdate } from '../src/index.js';
import { failReports, progressStates, until } from './support/harness.js';

const GW = { productId: 'GATEWAY001', deviceName: 'gw1' };
const URL_GW = 'https://fw.example.com/gw-2.0.0.tgz';

/** An installer that remembers what it was asked and can be told to fail. */
class RecordingInstaller implements GatewayInstaller {
  readonly installs: Array<InstallRequest & { bytes: string }> = [];
  readonly rollbacks: RollbackRequest[] = [];
  failInstall: string | undefined;
  constructor(public version: string) {}
  currentVersion(): Promise<string> {
    return Promise.resolve(this.version);
  }
  async install(request: InstallRequest): Promise<void> {
    const bytes = await readFile(request.imagePath, 'utf8');
    this.installs.push({ ...request, bytes });
    if (this.failInstall) throw new SelfUpdateError(this.failInstall);
  }
  rollback(request: RollbackRequest): Promise<void> {
    this.rollbacks.push(request);
    return Promise.resolve();
  }
}

async function setup(t: { teardown(fn: () => Promise<void>): void }, options: { version: string; store?: MemoryStateStore; healthyWithinMs?: number; maxProbationBoots?: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-self-update-'));
  const hub = new FakeHub({ gateway: GW });
  const firmware = new FakeFirmwareStore();
  const store = options.store ?? new MemoryStateStore();
  const installer = new RecordingInstaller(options.version);
  const logger = new CapturingLogger();
  const settings = gatewaySettings({
    hubTimeoutMs: 2000,
    selfUpdate: { workDir: dir, healthyWithinMs: options.healthyWithinMs ?? 60_000, installTimeoutMs: 5000, ...(options.maxProbationBoots ? { maxProbationBoots: options.maxProbationBoots } : {}) },
  });
  const selfUpdate = new SelfUpdate(hub, firmware, store, installer, new ManualClock(), settings, logger);
  t.teardown(async () => {
    await selfUpdate.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { hub, firmware, store, installer, logger, selfUpdate };
}

/** 1.0.0 took the push of 2.0.0, installed it and stopped for the restart: the state the next process finds. */
async function installedByOldVersion(t: { teardown(fn: () => Promise<void>): void }) {
  const first = await setup(t, { version: '1.0.0' });
  await first.selfUpdate.start();
  await first.hub.connect();
  first.hub.pushFirmwareUpdate(GW, first.firmware.addImage(URL_GW, 'v2', '2.0.0'));
  await first.selfUpdate.restartRequested;
  await first.selfUpdate.stop();
  return first;
}

test('a push on the gateway ids is downloaded, reported like a subdevice update and handed to the installer, then a restart is asked for', async (t) => {
  const { hub, firmware, store, installer, selfUpdate } = await setup(t, { version: '1.0.0' });
  await selfUpdate.start();
  await hub.connect();
  const job = firmware.addImage(URL_GW, 'new gateway software', '2.0.0');
  hub.pushFirmwareUpdate(GW, job);
  const reason = await selfUpdate.restartRequested;
  t.regex(reason, /2\.0\.0 installed/);
  t.deepEqual(installer.installs.map(({ version, fromVersion, bytes }) => ({ version, fromVersion, bytes })), [
    { version: '2.0.0', fromVersion: '1.0.0', bytes: 'new gateway software' },
  ]);
  await selfUpdate.idle();
  const states = progressStates(hub, GW);
  t.is(states[0], 'version 1.0.0');
  t.true(states.includes('downloading 0') && states.includes('downloading 100'), states.join(', '));
  t.is(states.at(-1), 'burning');
  t.like(await store.get(SELF_UPDATE_KEY), { phase: 'installed', fromVersion: '1.0.0', boots: 0, job: { version: '2.0.0' } });
});

test('an installer that fails: fail -5 with its words, nothing pending, no restart', async (t) => {
  const { hub, firmware, store, installer, selfUpdate } = await setup(t, { version: '1.0.0' });
  installer.failInstall = 'disk full';
  await selfUpdate.start();
  await hub.connect();
  hub.pushFirmwareUpdate(GW, firmware.addImage(URL_GW, 'x', '2.0.0'));
  await until(() => progressStates(hub, GW).some((s) => s.startsWith('fail')), 'fail reported');
  t.is(progressStates(hub, GW).at(-1), 'fail -5');
  t.regex(failReports(hub, GW)[0]?.message ?? '', /^installing 2\.0\.0 failed: disk full/);
  t.is(await store.get(SELF_UPDATE_KEY), undefined);
  const restarted = await Promise.race([selfUpdate.restartRequested.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
  t.false(restarted);
});

test('the new version, healthy (hub connected) on probation, reports done and its version, and forgets the record', async (t) => {
  const first = await installedByOldVersion(t);

  const second = await setup(t, { version: '2.0.0', store: first.store });
  await second.selfUpdate.start();
  t.true(second.selfUpdate.onProbation);
  await second.hub.connect();
  await until(() => progressStates(second.hub, GW).includes('version 2.0.0'), 'new version reported');
  t.deepEqual(progressStates(second.hub, GW), ['done', 'version 2.0.0']);
  await second.selfUpdate.idle();
  t.is(await second.store.get(SELF_UPDATE_KEY), undefined);
  t.deepEqual(second.installer.rollbacks, []);
});

test('a new version not healthy in time is rolled back; the old version started again reports fail with why', async (t) => {
  const first = await installedByOldVersion(t);

  // The new version never reaches the hub.
  const second = await setup(t, { version: '2.0.0', store: first.store, healthyWithinMs: 100 });
  await second.selfUpdate.start();
  t.regex(await second.selfUpdate.restartRequested, /rolled back to 1\.0\.0/);
  t.deepEqual(second.installer.rollbacks, [{ version: '2.0.0', toVersion: '1.0.0' }]);
  t.like(await second.store.get(SELF_UPDATE_KEY), { phase: 'rolled_back' });
  await second.selfUpdate.stop();

  const third = await setup(t, { version: '1.0.0', store: first.store });
  await third.selfUpdate.start();
  await third.hub.connect();
  await until(() => progressStates(third.hub, GW).includes('version 1.0.0'), 'old version reported');
  await third.selfUpdate.idle();
  t.deepEqual(progressStates(third.hub, GW), ['fail -5', 'version 1.0.0']);
  t.is(failReports(third.hub, GW)[0]?.message, 'version 2.0.0 was not healthy within 100 ms (hub not connected); rolled back to 1.0.0');
  t.is(await third.store.get(SELF_UPDATE_KEY), undefined);
});

test('a new version that keeps restarting on probation is rolled back at once after maxProbationBoots', async (t) => {
  const first = await installedByOldVersion(t);
  for (let boot = 1; boot <= 2; boot++) {
    const crashing = await setup(t, { version: '2.0.0', store: first.store, maxProbationBoots: 2 });
    await crashing.selfUpdate.start();
    t.true(crashing.selfUpdate.onProbation, `boot ${boot} on probation`);
    await crashing.selfUpdate.stop(); // "crashed" before the hub was reached
  }
  const last = await setup(t, { version: '2.0.0', store: first.store, maxProbationBoots: 2 });
  await last.selfUpdate.start();
  t.regex(await last.selfUpdate.restartRequested, /rolled back/);
  t.like(await last.store.get(SELF_UPDATE_KEY), { phase: 'rolled_back', message: 'version 2.0.0 restarted 2 times without becoming healthy; rolled back to 1.0.0' });
});

test('without an installer a push on the gateway ids is refused (fail -5 naming the missing config), never run as a subdevice job', async (t) => {
  const { harness } = await import('./support/harness.js');
  const h = await harness();
  await h.gateway.start();
  const gw = h.hub.gateway;
  h.hub.pushFirmwareUpdate(gw, h.firmware.addImage(URL_GW, 'x', '2.0.0'));
  await until(() => failReports(h.hub, gw).length > 0, 'refusal');
  t.regex(failReports(h.hub, gw)[0]?.message ?? '', /no installer is configured \("selfUpdate" in the iotgw config\)/);
  t.is(h.gateway.service.ota.jobOf(gw), undefined);
  t.is(h.firmware.starts.length, 0);
  await h.gateway.dispose();
});
