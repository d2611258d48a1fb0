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

/** Live progress of the two legs of a job, for status and metrics (not persisted). */
export interface OtaLegs {
  /** 0..100 once the download started. */
  download: number | undefined;
  /** 0..100 once the delivery to the subdevice started. */
  delivery: number | undefined;
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
  readonly legs: OtaLegs = { download: undefined, delivery: undefined };
  /** When each leg's progress last went to the hub, and what it said (rate limiting). */
  readonly lastReport = { at: Number.NEGATIVE_INFINITY, percent: -1 };
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
