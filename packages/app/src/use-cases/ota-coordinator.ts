import { inject, injectable } from 'tsyringe';
import {
  CLOCK,
  FIRMWARE_STORE,
  FirmwareError,
  FirmwareStorageError,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  LinkError,
  OTA_FAIL,
  STATE_STORE,
  TimeoutError,
  nextOtaState,
  otaNextStep,
  otaReportFor,
  parseOtaJob,
  serializeOtaJob,
  shouldReplaceOtaJob,
  startOtaJob,
  subdeviceKey,
  toGatewayError,
  type CallOptions,
  type Clock,
  type FirmwareImage,
  type FirmwareJob,
  type FirmwareStore,
  type HubTransport,
  type Logger,
  type OtaEvent,
  type OtaFailCode,
  type OtaJobState,
  type OtaReport,
  type StateStore,
  type SubdeviceId,
  type SubdeviceLink,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { Semaphore } from '../semaphore.js';
import { TaskTracker } from '../task-tracker.js';
import { SubdeviceDirectory } from './subdevice-directory.js';
import { SubdevicePresence } from './subdevice-presence.js';

/** Where a subdevice's job lives in the StateStore (hex keeps any device name a valid key). */
export function otaStateKey(subdevice: SubdeviceId): string {
  return `ota/${Buffer.from(subdeviceKey(subdevice), 'utf8').toString('hex')}`;
}

const DELIVERY_ATTEMPTS = 3;

/** One job being driven: its state, persisted after every transition, and its hub reports, in order. */
class OtaRun {
  state: OtaJobState;
  image: FirmwareImage | undefined;
  readonly controller = new AbortController();
  done: Promise<void> = Promise.resolve();
  lastReportAt = Number.NEGATIVE_INFINITY;
  lastReportedPercent = -1;
  #writes: Promise<void> = Promise.resolve();
  #reports: Promise<void> = Promise.resolve();

  constructor(
    state: OtaJobState,
    private readonly store: StateStore,
    private readonly hub: HubTransport,
    private readonly clock: Clock,
    readonly logger: Logger,
    private readonly hubTimeoutMs: number,
  ) {
    this.state = state;
  }

  get key(): string {
    return otaStateKey(this.state.subdevice);
  }

  /** Applies `event` through the domain table and queues the new state for the StateStore. */
  transition(event: OtaEvent): boolean {
    const t = nextOtaState(this.state, event, this.clock.now());
    if (!t.accepted) return false;
    this.state = t.state;
    this.persist();
    return true;
  }

  persist(): void {
    const doc = serializeOtaJob(this.state);
    const key = this.key;
    this.#writes = this.#writes.then(() =>
      this.store.put(key, doc).catch((error: unknown) => {
        this.logger.error(`could not persist the OTA job: ${toGatewayError(error).message}`);
      }),
    );
  }

  fail(code: OtaFailCode, message: string): void {
    this.transition({ type: 'failed', code, message });
    this.logger.warn(`update failed (${code}): ${message}`);
  }

  /** Queues a report to the hub; reports of one job leave in order and never throw here. */
  report(report: OtaReport): void {
    const subdevice = this.state.subdevice;
    if (report.state === 'downloading') {
      this.lastReportAt = this.clock.now();
      this.lastReportedPercent = report.percent;
    }
    this.#reports = this.#reports.then(() =>
      this.hub.reportFirmwareProgress(subdevice, report, { timeoutMs: this.hubTimeoutMs }).catch((error: unknown) => {
        this.logger.warn(`could not report ${report.state} to the hub: ${toGatewayError(error).message}`);
      }),
    );
  }

  async flush(): Promise<void> {
    await this.#reports;
    await this.#writes;
  }
}

/**
 * Subdevice firmware updates, end to end, on the subdevices' behalf:
 * report the version each subdevice runs when it goes online; accept the hub's `firmwareUpdate`;
 * download the image (the FirmwareStore shares one download among subdevices needing the same
 * image), reporting 0% at once, then at most one report per `progressIntervalMs`, and 100% at
 * once; deliver it over the subdevice's link (at most `concurrencyPerLink` at a time per link);
 * report burning, then done (and the new version) or fail with the hub's code (-1..-4 from the
 * download, -5 for anything the subdevice or its link did wrong).
 *
 * The job is persisted after every transition; `start` resumes persisted jobs in the phase they
 * reached, never redoing a finished phase: a downloaded job goes straight to delivery, a burning
 * job waits for the subdevice to come back with the new version (fail -5 after
 * `verdictTimeoutMs`), a finished job whose verdict did not reach the hub reports it.
 */
@injectable()
export class OtaCoordinator {
  readonly #runs = new Map<string, OtaRun>();
  readonly #semaphores = new Map<SubdeviceLink, Semaphore>();
  readonly #tasks: TaskTracker;
  #subscriptions: Subscription[] = [];

  constructor(
    @inject(HUB_TRANSPORT) private readonly hub: HubTransport,
    @inject(FIRMWARE_STORE) private readonly firmware: FirmwareStore,
    @inject(STATE_STORE) private readonly store: StateStore,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @inject(LOGGER) private readonly logger: Logger,
    private readonly directory: SubdeviceDirectory,
    private readonly presence: SubdevicePresence,
  ) {
    this.#tasks = new TaskTracker(logger);
  }

  /** Subscribes to the hub and the presence, then resumes every persisted job. */
  async start(options: CallOptions = {}): Promise<void> {
    this.directory.open();
    this.#subscriptions.push(
      this.hub.on('firmwareUpdate', ({ subdevice, job }) => {
        this.#tasks.run(`accepting an update for ${subdeviceKey(subdevice)}`, (signal) => this.accept(subdevice, job, { signal }));
      }),
      this.presence.on('online', (subdevice) => {
        const entry = this.directory.find(subdevice);
        if (!entry) return;
        this.#tasks.run(`reporting the version of ${subdeviceKey(subdevice)}`, (signal) =>
          this.hub.reportVersion(subdevice, entry.firmwareVersion, { signal, timeoutMs: this.settings.hubTimeoutMs }),
        );
      }),
      // Verdicts that could not reach the hub while it was away are sent now.
      this.hub.on('reconnected', () => {
        for (const run of this.#runs.values()) {
          if (otaNextStep(run.state) === 'report_final') this.#launch(run);
        }
      }),
    );
    await this.resume(options);
  }

  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    for (const run of this.#runs.values()) run.controller.abort();
    await this.#tasks.abort();
    await Promise.allSettled([...this.#runs.values()].map((r) => r.flush()));
  }

  /** Resolves when no job is running and every state and report left. */
  async idle(): Promise<void> {
    await this.#tasks.idle();
    await Promise.all([...this.#runs.values()].map((r) => r.flush()));
  }

  /** The job of `subdevice` as this coordinator knows it (undefined once finished and reported). */
  jobOf(subdevice: SubdeviceId): OtaJobState | undefined {
    return this.#runs.get(otaStateKey(subdevice))?.state;
  }

  /** Loads persisted jobs and drives each on from its phase. Corrupt documents are logged and skipped. */
  async resume(options: CallOptions = {}): Promise<void> {
    for (const key of await this.store.list('ota/', options)) {
      if (this.#runs.has(key)) continue;
      let state: OtaJobState;
      try {
        state = parseOtaJob(key, await this.store.get(key, options));
      } catch (error) {
        this.logger.error(`skipping a persisted OTA job: ${toGatewayError(error).message}`, { key });
        continue;
      }
      const run = this.#newRun(state);
      run.logger.info(`resuming the update to ${state.job.version} in phase ${state.phase}`);
      this.#launch(run);
    }
  }

  /** Starts an update the hub asked for, replacing a different job still running for the subdevice. */
  async accept(subdevice: SubdeviceId, job: FirmwareJob, options: CallOptions = {}): Promise<void> {
    const key = otaStateKey(subdevice);
    const current = this.#runs.get(key);
    if (!shouldReplaceOtaJob(current?.state, job)) {
      current?.logger.info(`update to ${job.version} already in progress; ignoring the repeated push`);
      return;
    }
    if (current) {
      current.controller.abort();
      await current.done;
      // Its last writes must land before the new job's, or a restart would resume the old one.
      await current.flush();
    }
    const fromVersion = this.directory.find(subdevice)?.firmwareVersion ?? '';
    const run = this.#newRun(startOtaJob(subdevice, job, fromVersion, this.clock.now()));
    run.persist();
    run.logger.info(`update from ${fromVersion || '(unknown)'} to ${job.version} accepted`);
    this.#launch(run);
    await run.flush();
    if (options.signal?.aborted) run.controller.abort();
  }

  #newRun(state: OtaJobState): OtaRun {
    const logger = this.logger.child({ subdevice: subdeviceKey(state.subdevice), version: state.job.version });
    const run = new OtaRun(state, this.store, this.hub, this.clock, logger, this.settings.hubTimeoutMs);
    this.#runs.set(run.key, run);
    return run;
  }

  #launch(run: OtaRun): void {
    const previous = run.done;
    let finish!: () => void;
    run.done = new Promise((resolve) => (finish = resolve));
    this.#tasks.run(`updating ${subdeviceKey(run.state.subdevice)}`, async (stopSignal) => {
      try {
        await previous;
        await this.#drive(run, AbortSignal.any([stopSignal, run.controller.signal]));
      } finally {
        finish();
      }
    });
  }

  async #drive(run: OtaRun, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      switch (otaNextStep(run.state)) {
        case 'download':
          await this.#download(run, signal);
          break;
        case 'deliver':
          await this.#deliver(run, signal);
          break;
        case 'await_verdict':
          await this.#awaitVerdict(run, signal);
          break;
        case 'report_final':
          if (!(await this.#reportFinal(run, signal))) return;
          break;
        case 'nothing':
          await this.#finish(run);
          return;
      }
    }
  }

  async #download(run: OtaRun, signal: AbortSignal): Promise<void> {
    const interval = this.settings.ota.progressIntervalMs;
    const first = otaReportFor(run.state);
    if (first) run.report(first);
    const onPercent = (percent: number): void => {
      if (percent > run.state.percent || run.state.phase === 'update_received') {
        run.transition({ type: 'download_progress', percent });
      }
      if (percent <= run.lastReportedPercent) return;
      // 100% goes at once; anything else at most once per interval.
      if (percent >= 100 || this.clock.now() - run.lastReportAt >= interval) {
        run.report({ state: 'downloading', version: run.state.job.version, percent });
      }
    };
    try {
      run.image = await this.firmware.obtain(run.state.job, {
        signal,
        timeoutMs: this.settings.ota.downloadTimeoutMs,
        onProgress: (p) => onPercent(p.percent),
      });
    } catch (error) {
      if (signal.aborted) return;
      run.fail(downloadFailCode(error), toGatewayError(error, 'download').message);
      return;
    }
    onPercent(100);
    run.transition({ type: 'downloaded' });
    run.logger.info('firmware downloaded');
  }

  async #deliver(run: OtaRun, signal: AbortSignal): Promise<void> {
    const { subdevice, job } = run.state;
    const ota = this.settings.ota;
    try {
      // After a restart the verified image is still in the store: obtaining it does not download again.
      run.image ??= await this.firmware.obtain(job, { signal, timeoutMs: ota.downloadTimeoutMs });
    } catch (error) {
      if (signal.aborted) return;
      run.fail(downloadFailCode(error), toGatewayError(error, 'reopening the downloaded image').message);
      return;
    }
    // After a lost link, only an attach newer than the one the failed attempt used counts.
    let lostEpoch: number | undefined;
    for (let attempt = 1; ; attempt++) {
      let entry;
      try {
        entry = await this.directory.waitForAttach(subdevice, () => true, {
          signal,
          timeoutMs: ota.attachTimeoutMs,
          ...(lostEpoch === undefined ? {} : { after: lostEpoch }),
        });
      } catch (error) {
        if (signal.aborted) return;
        run.fail(OTA_FAIL.upgradeFailed, `the subdevice was not attached to any link: ${toGatewayError(error).message}`);
        return;
      }
      let releaseSlot: (() => void) | undefined;
      try {
        releaseSlot = await this.#semaphoreOf(entry.link).acquire(signal);
        run.logger.info(`delivering firmware over link ${entry.link.name} (attempt ${attempt})`);
        const image = run.image;
        const result = await entry.link.deliverFirmware(subdevice, image, {
          signal,
          timeoutMs: ota.deliveryTimeoutMs,
          onProgress: (p) => {
            if (p.phase === 'transferring') {
              if (run.state.phase !== 'delivering' || p.percent > run.state.percent) {
                run.transition({ type: 'delivery_progress', percent: p.percent });
              }
            } else {
              this.#burning(run);
            }
          },
        });
        if (!result.ok) {
          run.fail(OTA_FAIL.upgradeFailed, `the subdevice could not apply the image (code ${result.code}): ${result.message}`);
        } else if (result.version !== job.version) {
          run.fail(OTA_FAIL.upgradeFailed, `the subdevice runs ${result.version} after the update, expected ${job.version}`);
        } else {
          this.#burning(run);
          run.transition({ type: 'succeeded' });
          run.logger.info('update applied');
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        // A cut link, or a link that already forgot the subdevice it just lost: wait for it to come back.
        const lost = error instanceof LinkError && (error.code === 'link.disconnected' || error.code === 'link.unknown_subdevice');
        if (lost && attempt < DELIVERY_ATTEMPTS) {
          lostEpoch = entry.epoch;
          run.logger.warn('the link was cut during delivery; resuming once the subdevice reattaches');
          continue;
        }
        run.fail(OTA_FAIL.upgradeFailed, `delivery over the link failed: ${toGatewayError(error).message}`);
        return;
      } finally {
        releaseSlot?.();
      }
    }
  }

  /** The subdevice is applying the image: the hub hears `burning` once. */
  #burning(run: OtaRun): void {
    if (run.state.phase === 'burning') return;
    if (run.transition({ type: 'applying' })) {
      const report = otaReportFor(run.state);
      if (report) run.report(report);
    }
  }

  async #awaitVerdict(run: OtaRun, signal: AbortSignal): Promise<void> {
    const { subdevice, job } = run.state;
    const timeoutMs = this.settings.ota.verdictTimeoutMs;
    try {
      await this.directory.waitForAttach(subdevice, (e) => e.firmwareVersion === job.version, { signal, timeoutMs });
      run.transition({ type: 'succeeded' });
      run.logger.info('the subdevice came back with the new version');
    } catch (error) {
      if (signal.aborted) return;
      const why = error instanceof TimeoutError ? `within ${timeoutMs} ms` : `(${toGatewayError(error).message})`;
      run.fail(OTA_FAIL.upgradeFailed, `the subdevice did not come back with version ${job.version} ${why}`);
    }
  }

  /** Sends done/fail (and the new version after done); false when the hub could not be told. */
  async #reportFinal(run: OtaRun, signal: AbortSignal): Promise<boolean> {
    await run.flush();
    const report = otaReportFor(run.state);
    const options = { signal, timeoutMs: this.settings.hubTimeoutMs };
    try {
      if (report) await this.hub.reportFirmwareProgress(run.state.subdevice, report, options);
      if (run.state.phase === 'done') await this.hub.reportVersion(run.state.subdevice, run.state.job.version, options);
    } catch (error) {
      if (!signal.aborted) {
        run.logger.warn(`could not tell the hub the verdict; will retry after reconnect: ${toGatewayError(error).message}`);
      }
      return false;
    }
    run.transition({ type: 'final_reported' });
    await run.flush();
    return true;
  }

  async #finish(run: OtaRun): Promise<void> {
    if (run.image) {
      const image = run.image;
      run.image = undefined;
      await this.firmware.release(image).catch((error: unknown) => {
        run.logger.warn(`could not release the image: ${toGatewayError(error).message}`);
      });
    }
    await run.flush();
    await this.store.delete(run.key);
    this.#runs.delete(run.key);
  }

  #semaphoreOf(link: SubdeviceLink): Semaphore {
    let s = this.#semaphores.get(link);
    if (!s) {
      s = new Semaphore(this.settings.ota.concurrencyPerLink);
      this.#semaphores.set(link, s);
    }
    return s;
  }
}

/** The hub's code for a failed download: the store's own code, else -1 (timeout/network/disk). */
function downloadFailCode(error: unknown): OtaFailCode {
  if (error instanceof FirmwareError) return error.otaCode;
  if (error instanceof FirmwareStorageError) return OTA_FAIL.downloadTimeout;
  return OTA_FAIL.downloadTimeout;
}
