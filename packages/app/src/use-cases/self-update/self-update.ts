import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FirmwareCancelledError,
  firmwareCancelReasonOf,
  OTA_FAIL,
  firmwareJobProblem,
  isValidFirmwareVersion,
  parseSelfUpdate,
  sameSubdevice,
  serializeSelfUpdate,
  toGatewayError,
  type CallOptions,
  type Clock,
  type FirmwareJob,
  type FirmwareStore,
  type GatewayInstaller,
  type HubTransport,
  type Logger,
  type OtaFailCode,
  type OtaReport,
  type SelfUpdateRecord,
  type StateStore,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../../gateway-settings.js';
import { TaskTracker } from '../../task-tracker.js';
import { downloadFailCode } from '../ota/ota-download-leg.js';
import { ProgressThrottle } from '../ota/ota-run.js';
import { writeImageFile } from './image-file.js';

/** The record that survives the restart (see SelfUpdateRecord) and the job being downloaded. */
export const SELF_UPDATE_KEY = 'self-update/pending';
export const SELF_UPDATE_JOB_KEY = 'self-update/job';

/**
 * The gateway's own update, pushed on `$ota/update/{gw pid}/{gw dev}`: the same verified,
 * resumable download and the same reports as a subdevice's (`downloading` %, `burning`, then
 * `done` or `fail`), then the image goes to the product's installer and the process asks to be
 * restarted (`restartRequested`). The next process is on probation: healthy (hub connected)
 * within `healthyWithinMs` → `done` and its new version are reported; not → the installer rolls
 * back, and the old version, started again, reports `fail` with why. The state in between lives
 * in the StateStore (the data dir), so each process knows where the update stands.
 */
export class SelfUpdate {
  readonly #tasks: TaskTracker;
  readonly #refusedLocalPorts = new Set<number>();
  #subscriptions: Subscription[] = [];
  #running: { job: FirmwareJob; controller: AbortController } | undefined;
  #probation: { timer: ReturnType<typeof setTimeout>; record: SelfUpdateRecord } | undefined;
  #restart: (reason: string) => void = () => {};
  /** Resolves with a reason when this process should exit for its supervisor to start it again. */
  readonly restartRequested: Promise<string>;

  constructor(
    private readonly hub: HubTransport,
    private readonly firmware: FirmwareStore,
    private readonly store: StateStore,
    private readonly installer: GatewayInstaller,
    private readonly clock: Clock,
    private readonly settings: GatewaySettings,
    private readonly logger: Logger,
  ) {
    this.#tasks = new TaskTracker(logger);
    this.restartRequested = new Promise((resolve) => (this.#restart = resolve));
  }

  /** Never fetch images from this port of this machine (the gateway's own control endpoint). */
  refuseLocalPort(port: number): void {
    this.#refusedLocalPorts.add(port);
  }

  /**
   * Call before the hub connects: reads where a previous update stands (starting the probation
   * clock if this process is the new version), then listens for pushes on the gateway's ids.
   */
  async start(options: CallOptions = {}): Promise<void> {
    const own = this.hub.gateway;
    this.#subscriptions.push(
      this.hub.on('firmwareUpdate', ({ subdevice, job }) => {
        if (sameSubdevice(subdevice, own)) this.accept(job);
      }),
      this.hub.on('firmwareUpdateRefused', ({ subdevice, version, reason }) => {
        if (sameSubdevice(subdevice, own)) this.#refuse(version, reason);
      }),
    );
    const current = await this.installer.currentVersion(options);
    const record = await this.#read(SELF_UPDATE_KEY, options);
    // With a record, its verdict (done or fail) goes out with the version; else the version alone.
    if (record) return this.#continue(record, current, options);
    this.#whenConnected('reporting the gateway version', (signal) => this.hub.reportVersion(own, current, { signal, timeoutMs: this.settings.hubTimeoutMs }));
    // A download cut short by a restart goes on (the store resumes what it kept).
    const job = await this.store.get(SELF_UPDATE_JOB_KEY, options).catch(() => undefined);
    if (job && typeof job === 'object' && !Array.isArray(job)) this.accept(job as unknown as FirmwareJob);
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    if (this.#probation) clearTimeout(this.#probation.timer);
    await this.#tasks.abort(new FirmwareCancelledError('shutdown', 'the gateway update'));
  }

  async idle(): Promise<void> {
    await this.#tasks.idle();
  }

  /** True while a freshly installed version waits to be found healthy. */
  get onProbation(): boolean {
    return this.#probation !== undefined;
  }

  /** The hub's push for the gateway itself. A repeat of the running job is ignored; another version supersedes it. */
  accept(job: FirmwareJob): void {
    if (this.#tasks.signal.aborted) return;
    const problem = firmwareJobProblem(job, {
      allowedHosts: this.settings.ota.allowedHosts,
      allowLoopback: this.settings.ota.allowLoopback,
      allowLinkLocal: this.settings.ota.allowLinkLocal,
      maxImageBytes: this.settings.ota.maxImageBytes,
      refusedLocalPorts: [...this.#refusedLocalPorts],
    });
    if (problem) return this.#refuse(job.version, problem);
    if (this.#probation) return this.#refuse(job.version, `version ${this.#probation.record.job.version} is still on probation`);
    const running = this.#running;
    if (running && running.job.version === job.version && running.job.md5 === job.md5) {
      this.logger.info(`gateway update to ${job.version} already in progress; ignoring the repeated push`);
      return;
    }
    running?.controller.abort(new FirmwareCancelledError('superseded', `the gateway update to ${running.job.version}`));
    const controller = new AbortController();
    this.#running = { job, controller };
    this.#tasks.run(`updating the gateway to ${job.version}`, async (stop) => {
      const signal = AbortSignal.any([stop, controller.signal]);
      try {
        await this.#update(job, signal);
      } finally {
        if (this.#running?.controller === controller) this.#running = undefined;
      }
    });
  }

  async #update(job: FirmwareJob, signal: AbortSignal): Promise<void> {
    const log = this.logger.child({ version: job.version });
    const fromVersion = await this.installer.currentVersion({ signal });
    await this.store.put(SELF_UPDATE_JOB_KEY, { version: job.version, url: job.url, md5: job.md5, size: job.size }, { signal });
    log.info(`gateway update from ${fromVersion} to ${job.version} accepted`);
    const throttle = new ProgressThrottle();
    const downloading = (percent: number): void => {
      if (throttle.due(percent, this.clock.now(), this.settings.ota.progressIntervalMs)) this.#send({ state: 'downloading', version: job.version, percent }, signal);
    };
    downloading(0);
    let image;
    try {
      image = await this.firmware.obtain(job, { signal, timeoutMs: this.settings.ota.downloadTimeoutMs, onProgress: (p) => downloading(p.percent) });
    } catch (error) {
      if (signal.aborted) return this.#superseded(job, signal);
      return this.#failed(job, downloadFailCode(error), toGatewayError(error, 'download').message, signal);
    }
    downloading(100);
    const imagePath = join(this.settings.selfUpdate.workDir, `image-${job.md5}`);
    try {
      await writeImageFile(image, imagePath, signal);
    } catch (error) {
      if (signal.aborted) return this.#superseded(job, signal);
      return this.#failed(job, OTA_FAIL.upgradeFailed, toGatewayError(error).message, signal);
    } finally {
      await this.firmware.release(image).catch(() => undefined);
    }
    this.#send({ state: 'burning', version: job.version }, signal);
    log.info(`image verified; installing version ${job.version}`);
    try {
      await this.installer.install({ imagePath, version: job.version, fromVersion }, { signal, timeoutMs: this.settings.selfUpdate.installTimeoutMs });
    } catch (error) {
      if (signal.aborted) return this.#superseded(job, signal);
      return this.#failed(job, OTA_FAIL.upgradeFailed, `installing ${job.version} failed: ${toGatewayError(error).message}`, signal);
    } finally {
      await rm(imagePath, { force: true });
    }
    await this.#write({ phase: 'installed', job, fromVersion, at: this.clock.now(), boots: 0 });
    await this.store.delete(SELF_UPDATE_JOB_KEY);
    log.info(`version ${job.version} installed; restarting into it (rolled back unless healthy within ${this.settings.selfUpdate.healthyWithinMs} ms)`);
    this.#restart(`gateway version ${job.version} installed`);
  }

  /** Where a previous process left the update. */
  async #continue(record: SelfUpdateRecord, current: string, options: CallOptions): Promise<void> {
    const { job, fromVersion } = record;
    if (record.phase === 'rolled_back') {
      this.#finalReport(record, { state: 'fail', version: job.version, code: OTA_FAIL.upgradeFailed, message: record.message ?? `version ${job.version} was rolled back` }, current);
      return;
    }
    if (current === job.version) {
      const boots = record.boots + 1;
      const onProbation = { ...record, boots };
      await this.#write(onProbation, options);
      if (boots > this.settings.selfUpdate.maxProbationBoots) {
        this.#tasks.run('rolling back the gateway update', () => this.#rollBack(onProbation, `version ${job.version} restarted ${boots - 1} times without becoming healthy`));
        return;
      }
      const ms = this.settings.selfUpdate.healthyWithinMs;
      this.logger.info(`running the new version ${job.version} on probation: healthy within ${ms} ms or rolled back to ${fromVersion}`);
      const timer = setTimeout(() => {
        const why = `version ${job.version} was not healthy within ${ms} ms (hub ${this.hub.state === 'connected' ? 'connected but the version not confirmed' : 'not connected'})`;
        this.#tasks.run('rolling back the gateway update', () => this.#rollBack(onProbation, why));
      }, ms);
      this.#probation = { timer, record: onProbation };
      this.#whenConnected('confirming the gateway update', async (signal) => {
        if (!this.#probation) return;
        clearTimeout(this.#probation.timer);
        this.#probation = undefined;
        this.logger.info(`version ${job.version} is healthy (hub connected): the update is done`);
        await this.#finalReportNow(onProbation, { state: 'done', version: job.version }, job.version, signal);
      });
      return;
    }
    // The old version runs although the new one was never confirmed: something else rolled back.
    const message = current === fromVersion ? `version ${job.version} never confirmed it was healthy; running ${current} again` : `expected version ${job.version}, running ${current}`;
    this.#finalReport(record, { state: 'fail', version: job.version, code: OTA_FAIL.upgradeFailed, message }, current);
  }

  async #rollBack(record: SelfUpdateRecord, why: string): Promise<void> {
    this.#probation = undefined;
    const message = `${why}; rolled back to ${record.fromVersion}`;
    this.logger.error(`gateway update failed: ${why}; rolling back to ${record.fromVersion}`);
    try {
      await this.installer.rollback({ version: record.job.version, toVersion: record.fromVersion }, { timeoutMs: this.settings.selfUpdate.installTimeoutMs });
    } catch (error) {
      this.logger.error(`rolling back to ${record.fromVersion} failed: ${toGatewayError(error).message}; staying on ${record.job.version}`);
      return;
    }
    await this.#write({ ...record, phase: 'rolled_back', at: this.clock.now(), message });
    this.#restart(`gateway version ${record.job.version} rolled back to ${record.fromVersion}`);
  }

  /** Reports the verdict (and the version running) once the hub is there, then forgets the record. */
  #finalReport(record: SelfUpdateRecord, report: OtaReport, current: string): void {
    this.#whenConnected('reporting the gateway update', (signal) => this.#finalReportNow(record, report, current, signal));
  }

  async #finalReportNow(record: SelfUpdateRecord, report: OtaReport, current: string, signal: AbortSignal): Promise<void> {
    const options = { signal, timeoutMs: this.settings.hubTimeoutMs };
    if (report.state === 'fail') this.logger.warn(`gateway update to ${record.job.version} failed: ${report.message}`);
    await this.hub.reportFirmwareProgress(this.hub.gateway, report, options);
    await this.hub.reportVersion(this.hub.gateway, current, options);
    await this.store.delete(SELF_UPDATE_KEY, options);
  }

  #failed(job: FirmwareJob, code: OtaFailCode, message: string, signal: AbortSignal): Promise<void> {
    this.logger.warn(`gateway update to ${job.version} failed (${code}): ${message}`);
    this.#send({ state: 'fail', version: job.version, code, message }, signal);
    return this.store.delete(SELF_UPDATE_JOB_KEY).catch(() => undefined);
  }

  #superseded(job: FirmwareJob, signal: AbortSignal): Promise<void> {
    // A stop keeps the job for the next start; a newer push ends it with fail.
    if (firmwareCancelReasonOf(signal.reason) === 'superseded') {
      this.#sendDetached({ state: 'fail', version: job.version, code: OTA_FAIL.upgradeFailed, message: 'superseded by a newer gateway update' });
    }
    return Promise.resolve();
  }

  #refuse(version: string | undefined, reason: string): void {
    this.logger.warn(`refusing the gateway update ${version ?? ''}: ${reason}`);
    if (version !== undefined && isValidFirmwareVersion(version)) {
      this.#sendDetached({ state: 'fail', version, code: OTA_FAIL.upgradeFailed, message: `refused by the gateway: ${reason}` });
    }
  }

  #send(report: OtaReport, signal: AbortSignal): void {
    this.#tasks.run(`reporting ${report.state} of the gateway update`, () =>
      this.hub.reportFirmwareProgress(this.hub.gateway, report, { signal, timeoutMs: this.settings.hubTimeoutMs }),
    );
  }

  #sendDetached(report: OtaReport): void {
    this.#send(report, this.#tasks.signal);
  }

  /** Runs `work` once the hub is connected (now, or at the next connection). */
  #whenConnected(what: string, work: (signal: AbortSignal) => Promise<void>): void {
    if (this.hub.state === 'connected') return this.#tasks.run(what, work);
    const sub = this.hub.on('state', (state) => {
      if (state !== 'connected') return;
      sub.close();
      this.#tasks.run(what, work);
    });
    this.#subscriptions.push(sub);
  }

  async #read(key: string, options: CallOptions): Promise<SelfUpdateRecord | undefined> {
    const raw = await this.store.get(key, options);
    if (raw === undefined) return undefined;
    try {
      return parseSelfUpdate(key, raw);
    } catch (error) {
      this.logger.error(`ignoring a damaged gateway update record: ${toGatewayError(error).message}`);
      await this.store.delete(key, options);
      return undefined;
    }
  }

  async #write(record: SelfUpdateRecord, options: CallOptions = {}): Promise<void> {
    await this.store.put(SELF_UPDATE_KEY, serializeSelfUpdate(record), options);
  }
}
