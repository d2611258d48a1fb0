import type { ModbusPoint } from '../model/modbus-model.js';
import type { PointValue } from '../model/point-codec.js';

export type Reading = Readonly<Record<string, PointValue>>;

export interface ReportPolicy {
  /** Only readings where some point moved beyond its deadband are reported. */
  readonly reportOnChange: boolean;
  /** At most one reading per this many ms; a reading inside it waits, and a newer one replaces it. */
  readonly minReportIntervalMs: number;
}

/** What became of a reading offered to the gate. */
export type GateVerdict = 'report' | 'held' | 'unchanged';

/**
 * Decides which poll cycles' readings reach the hub, for one unit. Changes are judged against the
 * last reading *reported* (not the last polled), so slow drift below the deadband still shows once
 * it adds up. A reading held by the minimum interval is reported when the interval ends
 * (`takeDue`), unless a newer one replaced it first (coalesced) or the values went back to what
 * was last reported.
 */
export class ReportGate {
  #lastReported: Reading | undefined;
  #lastReportedAt = Number.NEGATIVE_INFINITY;
  #pending: Reading | undefined;

  constructor(
    private readonly points: ReadonlyMap<string, ModbusPoint>,
    private readonly policy: ReportPolicy,
  ) {}

  /** When a held reading is due, or undefined when none is held. */
  get pendingAt(): number | undefined {
    return this.#pending ? this.#lastReportedAt + this.policy.minReportIntervalMs : undefined;
  }

  /** `replaced` is true when a held reading was dropped for this one (or for going back unchanged). */
  offer(reading: Reading, now: number): { verdict: GateVerdict; replaced: boolean } {
    const replaced = this.#pending !== undefined;
    if (this.policy.reportOnChange && this.#lastReported && !this.#changed(reading, this.#lastReported)) {
      this.#pending = undefined;
      return { verdict: 'unchanged', replaced };
    }
    if (now - this.#lastReportedAt >= this.policy.minReportIntervalMs) {
      this.#pending = undefined;
      this.#mark(reading, now);
      return { verdict: 'report', replaced };
    }
    this.#pending = reading;
    return { verdict: 'held', replaced };
  }

  /** The held reading, if its time has come (and it is then reported). */
  takeDue(now: number): Reading | undefined {
    const at = this.pendingAt;
    if (at === undefined || now < at || !this.#pending) return undefined;
    const reading = this.#pending;
    this.#pending = undefined;
    this.#mark(reading, now);
    return reading;
  }

  /** The unit went away: the next reading after it comes back is reported whatever it holds. */
  reset(): void {
    this.#lastReported = undefined;
    this.#lastReportedAt = Number.NEGATIVE_INFINITY;
    this.#pending = undefined;
  }

  #mark(reading: Reading, now: number): void {
    this.#lastReported = reading;
    this.#lastReportedAt = now;
  }

  #changed(reading: Reading, last: Reading): boolean {
    for (const [name, value] of Object.entries(reading)) {
      const before = last[name];
      if (before === undefined || typeof before !== typeof value) return true;
      if (typeof value === 'boolean' || typeof before === 'boolean') {
        if (value !== before) return true;
        continue;
      }
      const deadband = this.points.get(name)?.deadband ?? 0;
      if (deadband === 0 ? value !== before : Math.abs(value - before) > deadband) return true;
    }
    return false;
  }
}
