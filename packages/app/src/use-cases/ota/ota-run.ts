import {
  nextOtaState,
  serializeOtaJob,
  subdeviceKey,
  toGatewayError,
  type Clock,
  type FirmwareImage,
  type HubTransport,
  type Logger,
  type OtaEvent,
  type OtaFailCode,
  type OtaJobState,
  type OtaReport,
  type SubdeviceId,
} from '@iotgw/domain';
import type { LatestStateWriter } from './latest-state-writer.js';

/** Where a subdevice's job lives in the StateStore (hex keeps any device name a valid key). */
export function otaStateKey(subdevice: SubdeviceId): string {
  return `ota/${Buffer.from(subdeviceKey(subdevice), 'utf8').toString('hex')}`;
}

/**
 * When a leg's progress goes to the hub: the first report at once, then only a higher percent, at
 * most once per interval, except 100 which goes at once.
 */
export class ProgressThrottle {
  #at = Number.NEGATIVE_INFINITY;
  #percent = -1;

  /** The highest percent reported so far (-1: none yet). */
  get reported(): number {
    return this.#percent;
  }

  /** True (and remembered) when `percent` should be reported now. */
  due(percent: number, now: number, intervalMs: number): boolean {
    const first = this.#percent < 0;
    if (!first && percent <= this.#percent) return false;
    if (!first && percent < 100 && now - this.#at < intervalMs) return false;
    this.#at = now;
    this.#percent = percent;
    return true;
  }
}

/**
 * One job being driven: its state, persisted after every transition (through its subdevice's
 * writer, which it shares with the jobs before and after it), and its hub reports, in order.
 */
export class OtaRun {
  state: OtaJobState;
  image: FirmwareImage | undefined;
  readonly controller = new AbortController();
  /** The version of the push that replaced this job; from then on it no longer writes its state. */
  supersededBy: string | undefined;
  /** True once finished, reported and forgotten. */
  ended = false;
  /** Rate limits of each leg's progress reports to the hub. */
  readonly throttle = { download: new ProgressThrottle(), delivery: new ProgressThrottle() };
  /** True once a report to the hub was queued. */
  hasReported = false;
  #reports: Promise<void> = Promise.resolve();

  constructor(
    state: OtaJobState,
    private readonly writer: LatestStateWriter,
    private readonly hub: HubTransport,
    private readonly clock: Clock,
    readonly logger: Logger,
    private readonly hubTimeoutMs: number,
    /** Aborted when the gateway stops: reports still queued are dropped, not waited for. */
    private readonly stopSignal: AbortSignal,
  ) {
    this.state = state;
  }

  /** Applies `event` through the domain table and hands the new state to the writer. */
  transition(event: OtaEvent): boolean {
    const t = nextOtaState(this.state, event, this.clock.now());
    if (!t.accepted) return false;
    this.state = t.state;
    this.persist();
    return true;
  }

  persist(): void {
    // A superseded job's document belongs to the job that replaced it.
    if (this.supersededBy === undefined) this.writer.write(serializeOtaJob(this.state));
  }

  /** This job is finished and the hub knows: its document goes. */
  forget(): void {
    if (this.supersededBy === undefined) this.writer.write(undefined);
  }

  fail(code: OtaFailCode, message: string): void {
    this.transition({ type: 'failed', code, message });
    this.logger.warn(`update failed (${code}): ${message}`);
  }

  /** Queues a report to the hub; reports of one job leave in order and never throw here. */
  report(report: OtaReport): void {
    const subdevice = this.state.subdevice;
    this.hasReported = true;
    const options = { timeoutMs: this.hubTimeoutMs, signal: this.stopSignal };
    this.#reports = this.#reports.then(() =>
      this.hub.reportFirmwareProgress(subdevice, report, options).catch((error: unknown) => {
        if (this.stopSignal.aborted) return;
        this.logger.warn(`could not report ${report.state} to the hub: ${toGatewayError(error).message}`);
      }),
    );
  }

  /** Resolves when the reports queued so far left (or failed and were logged). */
  reportsSent(): Promise<void> {
    return this.#reports;
  }

  async flush(): Promise<void> {
    await this.#reports;
    await this.writer.flush();
  }
}
