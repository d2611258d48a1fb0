import { inject, injectable } from 'tsyringe';
import {
  FirmwareCancelledError,
  CLOCK,
  FIRMWARE_STORE,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  STATE_STORE,
  OTA_FAIL,
  otaNextStep,
  otaSupersededReport,
  parseOtaJob,
  sameSubdevice,
  shouldReplaceOtaJob,
  startOtaJob,
  subdeviceKey,
  toGatewayError,
  type CallOptions,
  type Clock,
  type FirmwareJob,
  type FirmwareStore,
  type HubTransport,
  type Logger,
  type OtaJobState,
  type StateStore,
  type SubdeviceId,
  type Subscription,
} from '@iotgw/domain';
import type { GatewaySettings } from '../gateway-settings.js';
import { TaskTracker } from '../task-tracker.js';
import { LatestStateWriter } from './ota/latest-state-writer.js';
import { OtaDeliveryLeg } from './ota/ota-delivery-leg.js';
import { OtaDownloadLeg } from './ota/ota-download-leg.js';
import { OtaIntake } from './ota/ota-intake.js';
import { OtaRun, otaStateKey } from './ota/ota-run.js';
import { OtaVerdictLeg } from './ota/ota-verdict-leg.js';
import { OtaVerdictQueue } from './ota/ota-verdict-queue.js';
import { SubdeviceDirectory } from './subdevice-directory.js';
import { SubdevicePresence } from './subdevice-presence.js';

export { otaStateKey } from './ota/ota-run.js';

const NO_INSTALLER = 'this gateway cannot update itself: no installer is configured ("selfUpdate" in the iotgw config)';

/**
 * One subdevice's jobs: at most one driven at a time (`current`), and the latest push waiting for
 * it to stop (`next`). Both write the subdevice's one state document, through one writer.
 */
interface OtaSlot {
  readonly subdevice: SubdeviceId;
  readonly writer: LatestStateWriter;
  current: OtaRun | undefined;
  next: OtaRun | undefined;
  driving: boolean;
}

function runsOf(slot: OtaSlot): OtaRun[] {
  return [slot.current, slot.next].filter((r): r is OtaRun => r !== undefined);
}

/**
 * Subdevice firmware updates, end to end, on the subdevices' behalf: report the version each
 * subdevice runs when it goes online; accept the hub's `firmwareUpdate`; download the image, then
 * deliver it over the subdevice's link; report burning, then done (and the new version) or fail
 * with the hub's code (-1..-4 from the download, -5 for anything the subdevice or its link did
 * wrong).
 *
 * **The last push wins.** Per subdevice at most one job downloads or delivers at a time. A push
 * for another image while a job runs cancels it (its download is abandoned unless another job
 * shares it, its delivery aborted through the delivery's signal), and the replaced job ends with
 * `fail` -5 "superseded ..." for its own version. A push that arrives while an older one still
 * waits for the running job to stop replaces it without it ever starting. A repeated push of the
 * job in progress is ignored. A flood of pushes therefore keeps at most two jobs per subdevice
 * and one pending state document; the superseded verdicts go out one at a time, once per version.
 *
 * The latest job is persisted after every transition; `start` resumes it in the phase it reached,
 * never redoing a finished phase. `stop` cancels every wait at once and keeps the state.
 */
@injectable()
export class OtaCoordinator {
  readonly #slots = new Map<string, OtaSlot>();
  readonly #tasks: TaskTracker;
  readonly #verdicts: OtaVerdictQueue;
  readonly #download: OtaDownloadLeg;
  readonly #delivery: OtaDeliveryLeg;
  readonly #verdict: OtaVerdictLeg;
  readonly #intake: OtaIntake;
  #subscriptions: Subscription[] = [];
  #selfUpdateElsewhere = false;

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
    this.#verdicts = new OtaVerdictQueue(hub, logger, settings.hubTimeoutMs, this.#tasks.signal);
    this.#download = new OtaDownloadLeg(firmware, clock, settings.ota);
    this.#delivery = new OtaDeliveryLeg(firmware, directory, clock, settings.ota);
    this.#verdict = new OtaVerdictLeg(hub, directory, settings.ota, settings.hubTimeoutMs);
    this.#intake = new OtaIntake(settings.ota, this.#verdicts, logger);
  }

  /** Subscribes to the hub and the presence, then resumes every persisted job. */
  async start(options: CallOptions = {}): Promise<void> {
    this.directory.open();
    this.#subscriptions.push(
      this.hub.on('firmwareUpdate', ({ subdevice, job }) => this.accept(subdevice, job)),
      this.hub.on('firmwareUpdateRefused', ({ subdevice, version, reason }) => this.refuse(subdevice, version, reason)),
      this.presence.on('online', (subdevice) => {
        const entry = this.directory.find(subdevice);
        if (!entry) return;
        this.#tasks.run(`reporting the version of ${subdeviceKey(subdevice)}`, (signal) =>
          this.hub.reportVersion(subdevice, entry.firmwareVersion, { signal, timeoutMs: this.settings.hubTimeoutMs }),
        );
      }),
      // Verdicts that could not reach the hub while it was away are sent now.
      this.hub.on('reconnected', () => {
        for (const slot of this.#slots.values()) {
          if (slot.current && otaNextStep(slot.current.state) === 'report_final') this.#drive(slot);
        }
      }),
    );
    await this.resume(options);
  }

  /**
   * Cancels every job where it stands (downloads, deliveries, waits for an attach, a slot or a
   * verdict) and waits only for that to settle; their state stays persisted for the next start.
   */
  async stop(): Promise<void> {
    for (const s of this.#subscriptions) s.close();
    this.#subscriptions = [];
    await this.#tasks.abort(new FirmwareCancelledError('shutdown', 'firmware jobs'));
    // Reports still queued were cancelled with the tasks; only the state writes are waited for.
    await Promise.allSettled([...this.#slots.values()].flatMap((slot) => [...runsOf(slot).map((r) => r.reportsSent()), slot.writer.flush()]));
    await this.#verdicts.close();
  }

  /** Resolves when no job is running and every state and report left. */
  async idle(): Promise<void> {
    await this.#tasks.idle();
    await Promise.all([...this.#slots.values()].flatMap((slot) => [...runsOf(slot).map((r) => r.flush()), slot.writer.flush()]));
    await this.#verdicts.idle();
  }

  /**
   * The latest job of `subdevice` as this coordinator knows it (undefined once finished and
   * reported); `otaLegProgress` of the domain turns it into download and delivery percents.
   */
  jobOf(subdevice: SubdeviceId): OtaJobState | undefined {
    const slot = this.#slots.get(otaStateKey(subdevice));
    const run = slot?.next ?? slot?.current;
    return run && !run.ended ? run.state : undefined;
  }

  /** Jobs held in memory (running, parked or waiting to start), over every subdevice. */
  get jobCount(): number {
    let n = 0;
    for (const slot of this.#slots.values()) n += (slot.current ? 1 : 0) + (slot.next ? 1 : 0);
    return n;
  }

  /** Verdicts of superseded or refused pushes not yet sent to the hub. */
  get queuedVerdicts(): number {
    return this.#verdicts.size;
  }

  /** Loads persisted jobs and drives each on from its phase. Corrupt documents are logged and skipped. */
  async resume(options: CallOptions = {}): Promise<void> {
    for (const key of await this.store.list('ota/', options)) {
      if (this.#slots.has(key)) continue;
      let state: OtaJobState;
      try {
        state = parseOtaJob(key, await this.store.get(key, options));
      } catch (error) {
        this.logger.error(`skipping a persisted OTA job: ${toGatewayError(error).message}`, { key });
        continue;
      }
      const slot = this.#slotOf(state.subdevice);
      if (slot.current || slot.next) continue; // a push got there first while we read the disk
      slot.current = this.#newRun(slot, state);
      slot.current.logger.info(`resuming the update to ${state.job.version} in phase ${state.phase}`);
      this.#drive(slot);
    }
  }

  /**
   * Takes the hub's push for `subdevice`: the new latest job (persisted at once), replacing the
   * one waiting to start and cancelling the running one, unless it repeats the job in progress.
   */
  accept(subdevice: SubdeviceId, job: FirmwareJob): void {
    if (this.#tasks.signal.aborted) return;
    // The gateway's own update is SelfUpdate's, never a subdevice job.
    if (sameSubdevice(subdevice, this.hub.gateway)) {
      if (!this.#selfUpdateElsewhere) this.#intake.refuse(subdevice, job.version, NO_INSTALLER);
      return;
    }
    if (!this.#intake.admits(subdevice, job)) return;
    const noFirmware = this.#firmwareRefusal(subdevice);
    if (noFirmware) {
      // Nothing to download for a subdevice whose link cannot carry the image (Modbus units).
      this.#intake.refuse(subdevice, job.version, noFirmware);
      return;
    }
    const slot = this.#slotOf(subdevice);
    const latest = slot.next ?? slot.current;
    if (latest && !latest.ended && !shouldReplaceOtaJob(latest.state, job)) {
      latest.logger.info(`update to ${job.version} already in progress; ignoring the repeated push`);
      return;
    }
    const fromVersion = this.directory.find(subdevice)?.firmwareVersion ?? '';
    const run = this.#newRun(slot, startOtaJob(subdevice, job, fromVersion, this.clock.now()));
    const waiting = slot.next;
    slot.next = run;
    if (waiting) {
      // It never started: nothing to cancel, only the hub to tell.
      this.#markSuperseded(waiting, job.version);
      this.#concludeSuperseded(waiting);
    }
    if (slot.current && !slot.current.ended && slot.current.supersededBy === undefined) {
      this.#markSuperseded(slot.current, job.version);
      // A job parked with an unreported verdict has no driver to conclude it.
      if (!slot.driving) {
        this.#concludeSuperseded(slot.current);
        slot.current = undefined;
      }
    }
    run.persist();
    run.logger.info(`update from ${fromVersion || '(unknown)'} to ${job.version} accepted`);
    this.#drive(slot);
  }

  /** A push the gateway will not run (see OtaIntake.refuse): the job in progress is untouched. */
  refuse(subdevice: SubdeviceId, version: string | undefined, reason: string): void {
    if (this.#tasks.signal.aborted) return;
    if (sameSubdevice(subdevice, this.hub.gateway) && this.#selfUpdateElsewhere) return;
    this.#intake.refuse(subdevice, version, reason);
  }

  /** Pushes on the gateway's own ids are handled by SelfUpdate; without it they are refused here. */
  leaveGatewayUpdates(): void {
    this.#selfUpdateElsewhere = true;
  }

  /** The OTA settings changed at runtime (`concurrencyPerLink`): jobs waiting for a delivery slot the new limit allows start now. */
  settingsChanged(): void {
    this.#delivery.recheckSlots();
  }

  /** Never fetch firmware from this port of this machine (the gateway's own control endpoint). */
  refuseLocalPort(port: number): void {
    this.#intake.refuseLocalPort(port);
  }

  /**
   * Why `subdevice` cannot be updated by the gateway, or undefined: it is attached over a link that
   * declares it cannot deliver firmware (a Modbus link). A subdevice not attached right now is given
   * the benefit of the doubt; if it comes back on such a link, its delivery fails with the link's error.
   */
  #firmwareRefusal(subdevice: SubdeviceId): string | undefined {
    const link = this.directory.find(subdevice)?.link;
    if (!link || link.capabilities.supportsFirmware) return undefined;
    return `${subdeviceKey(subdevice)} is reached over link ${link.name}, which cannot deliver firmware: update it with its maker's tool`;
  }

  #slotOf(subdevice: SubdeviceId): OtaSlot {
    const key = otaStateKey(subdevice);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { subdevice, writer: new LatestStateWriter(this.store, key, this.logger), current: undefined, next: undefined, driving: false };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  #newRun(slot: OtaSlot, state: OtaJobState): OtaRun {
    const logger = this.logger.child({ subdevice: subdeviceKey(state.subdevice), version: state.job.version });
    return new OtaRun(state, slot.writer, this.hub, this.clock, logger, this.settings.hubTimeoutMs, this.#tasks.signal);
  }

  #markSuperseded(run: OtaRun, byVersion: string): void {
    run.supersededBy = byVersion;
    run.controller.abort(new FirmwareCancelledError('superseded', `the update to ${run.state.job.version}`));
  }

  /** A replaced job's verdict goes to the hub after the reports it already queued. */
  #concludeSuperseded(run: OtaRun): void {
    run.ended = true;
    const by = run.supersededBy ?? '';
    const verdict = otaSupersededReport(run.state, by);
    const started = run.hasReported || run.image !== undefined;
    // A job that never started is one line of a possible flood: debug; a cancelled one is news.
    run.logger[started ? 'info' : 'debug'](`superseded by the update to ${by} (was in phase ${run.state.phase})`);
    if (!started && verdict) {
      this.#verdicts.add(run.state.subdevice, verdict);
      return;
    }
    this.#tasks.run(`ending the superseded update ${run.state.job.version}`, async () => {
      await this.#releaseImage(run);
      await run.reportsSent();
      if (verdict) this.#verdicts.add(run.state.subdevice, verdict);
    });
  }

  /** Drives the subdevice's jobs one after the other until none is left or one waits for the hub. */
  #drive(slot: OtaSlot): void {
    if (slot.driving) return;
    slot.driving = true;
    this.#tasks.run(`updating ${subdeviceKey(slot.subdevice)}`, async (stopSignal) => {
      try {
        for (;;) {
          if (stopSignal.aborted) return;
          const run = slot.current ?? slot.next;
          if (!run) return;
          if (run === slot.next) {
            slot.current = run;
            slot.next = undefined;
          }
          if (run.supersededBy === undefined) await this.#driveRun(run, AbortSignal.any([stopSignal, run.controller.signal]));
          if (stopSignal.aborted) return;
          if (run.supersededBy !== undefined) this.#concludeSuperseded(run);
          else if (!run.ended) return; // its verdict waits for the hub to come back
          slot.current = undefined;
        }
      } finally {
        slot.driving = false;
        if (!slot.current && !slot.next) this.#slots.delete(otaStateKey(slot.subdevice));
      }
    });
  }

  async #driveRun(run: OtaRun, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      switch (otaNextStep(run.state)) {
        case 'download': {
          // Also here: a job resumed after a restart, for a subdevice that attached since, on such a link.
          const noFirmware = this.#firmwareRefusal(run.state.subdevice);
          if (noFirmware) run.fail(OTA_FAIL.upgradeFailed, noFirmware);
          else await this.#download.run(run, signal);
          break;
        }
        case 'deliver':
          await this.#delivery.run(run, signal);
          break;
        case 'await_verdict':
          await this.#verdict.awaitVerdict(run, signal);
          break;
        case 'report_final':
          if (!(await this.#verdict.reportFinal(run, signal))) return;
          break;
        case 'nothing':
          await this.#finish(run);
          return;
      }
    }
  }

  async #finish(run: OtaRun): Promise<void> {
    await this.#releaseImage(run);
    run.forget();
    run.ended = true;
    await run.flush();
  }

  async #releaseImage(run: OtaRun): Promise<void> {
    const image = run.image;
    if (!image) return;
    run.image = undefined;
    await this.firmware.release(image).catch((error: unknown) => {
      run.logger.warn(`could not release the image: ${toGatewayError(error).message}`);
    });
  }
}
