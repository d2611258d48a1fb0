import { subdeviceKey, toGatewayError, type HubTransport, type Logger, type OtaReport, type SubdeviceId } from '@iotgw/domain';

/** Verdicts waiting per subdevice before the oldest are coalesced away (counted and logged). */
export const MAX_QUEUED_VERDICTS = 10_000;

interface Pending {
  readonly subdevice: SubdeviceId;
  /** Version → its verdict; insertion order is sending order. */
  readonly verdicts: Map<string, OtaReport>;
  sending: boolean;
}

/**
 * Verdicts of jobs that never ran to their end: superseded by a newer push, or refused before any
 * download. One sender per subdevice sends them in order; a version is reported once however
 * often it was pushed (coalesced); past MAX_QUEUED_VERDICTS per subdevice the oldest give way,
 * counted in one warning. Best effort: what is not handed to the hub transport when the gateway
 * stops is logged as dropped (the transport's QoS 1 outbox keeps what it took).
 */
export class OtaVerdictQueue {
  readonly #pending = new Map<string, Pending>();
  readonly #senders = new Set<Promise<void>>();
  #dropped = 0;

  constructor(
    private readonly hub: HubTransport,
    private readonly logger: Logger,
    private readonly hubTimeoutMs: number,
    private readonly stopSignal: AbortSignal,
  ) {}

  /** Verdicts not sent yet, over every subdevice. */
  get size(): number {
    let n = 0;
    for (const p of this.#pending.values()) n += p.verdicts.size;
    return n;
  }

  add(subdevice: SubdeviceId, report: OtaReport): void {
    if (this.stopSignal.aborted) return;
    const key = subdeviceKey(subdevice);
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = { subdevice, verdicts: new Map(), sending: false };
      this.#pending.set(key, pending);
    }
    pending.verdicts.delete(report.version);
    pending.verdicts.set(report.version, report);
    if (pending.verdicts.size > MAX_QUEUED_VERDICTS) {
      const oldest = pending.verdicts.keys().next().value;
      if (oldest !== undefined) pending.verdicts.delete(oldest);
      if (this.#dropped++ === 0) {
        this.logger.warn(`more than ${MAX_QUEUED_VERDICTS} OTA verdicts wait for the hub for ${key}: the oldest are dropped (counted at the end)`);
      }
    }
    if (pending.sending) return;
    pending.sending = true;
    const sender = this.#send(key, pending).finally(() => this.#senders.delete(sender));
    this.#senders.add(sender);
  }

  /** Resolves when every queued verdict was handed to the hub (or failed and was logged). */
  async idle(): Promise<void> {
    while (this.#senders.size > 0) await Promise.allSettled([...this.#senders]);
  }

  /** After a stop: says what was not sent. */
  async close(): Promise<void> {
    await this.idle();
    const left = this.size + this.#dropped;
    if (left > 0) this.logger.warn(`${left} OTA verdict(s) of superseded or refused updates were not sent to the hub`);
    this.#pending.clear();
    this.#dropped = 0;
  }

  async #send(key: string, pending: Pending): Promise<void> {
    try {
      for (;;) {
        if (this.stopSignal.aborted) return;
        const [version, report] = pending.verdicts.entries().next().value ?? [];
        if (version === undefined || report === undefined) break;
        pending.verdicts.delete(version);
        const options = { timeoutMs: this.hubTimeoutMs, signal: this.stopSignal };
        try {
          await this.hub.reportFirmwareProgress(pending.subdevice, report, options);
          if (report.state === 'done') await this.hub.reportVersion(pending.subdevice, report.version, options);
        } catch (error) {
          if (this.stopSignal.aborted) {
            pending.verdicts.set(version, report); // counted as not sent at close
            return;
          }
          this.logger.warn(`could not tell the hub the ${report.state} verdict of ${version}: ${toGatewayError(error).message}`, { subdevice: key });
        }
      }
      if (pending.verdicts.size === 0) this.#pending.delete(key);
    } finally {
      pending.sending = false;
      if (this.#dropped > 0 && !this.stopSignal.aborted && this.#pending.size === 0) {
        this.logger.warn(`${this.#dropped} OTA verdict(s) were dropped during a flood of pushes`);
        this.#dropped = 0;
      }
    }
  }
}
