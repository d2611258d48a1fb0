/**
 * What one bus did, for /metrics and for people: counters only grow (since the link was created);
 * gauges say how things are now. Poll cycle lag is how late a unit's poll started against the
 * time it was due: near 0 on a bus with room to spare, growing when the bus is saturated.
 */
export interface ModbusBusMetrics {
  readonly link: string;
  /** True while the port / TCP connection is open. */
  readonly open: boolean;
  /** Transactions sent (every attempt, retries included). */
  readonly requests: number;
  /** Transactions answered as asked (exceptions not included). */
  readonly responses: number;
  readonly timeouts: number;
  readonly crcErrors: number;
  /** Answers of the wrong length, unit or function. */
  readonly frameErrors: number;
  /** Modbus exception answers (illegal address, device failure, ...). */
  readonly exceptions: number;
  /** Requests asked again after a bad CRC or a garbled answer. */
  readonly retries: number;
  /** Time spent waiting for answers that came (responses and exceptions), in ms: over an interval, Δ / Δ(responses + exceptions) is the mean response time. */
  readonly answeredMs: number;
  /** Times the port / connection was lost. */
  readonly disconnects: number;
  /** Requests waiting for the bus right now (writes, reads of cycles in progress, cycles due). */
  readonly queueDepth: number;
  readonly pollCycles: number;
  readonly pollCycleLagMs: { readonly last: number; readonly max: number; readonly mean: number };
  /**
   * How long units take to answer: from a request handed to the port to its answer parsed (wire
   * time both ways and the unit's turnaround), over the last answered requests (RESPONSE_SAMPLE);
   * null before the first answer.
   */
  readonly responseTimeMs: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number } | null;
  /** Readings emitted as `data`. */
  readonly readings: number;
  /** Readings not emitted: unchanged within the deadband (report-on-change). */
  readonly readingsUnchanged: number;
  /** Readings replaced by a later one inside the minimum report interval. */
  readonly readingsCoalesced: number;
  readonly unitsAttached: number;
  readonly unitsDown: number;
}

type Counter = Exclude<keyof ModbusBusMetrics, 'link' | 'open' | 'queueDepth' | 'pollCycleLagMs' | 'responseTimeMs' | 'unitsAttached' | 'unitsDown'>;

/** Answered requests the response-time percentiles are taken over (a ring: the latest win). */
export const RESPONSE_SAMPLE = 1024;

/** The bus's counters; the gauges are read from the bus when a snapshot is taken. */
export class BusCounters {
  readonly #counts: Record<Counter, number> = {
    requests: 0,
    responses: 0,
    timeouts: 0,
    crcErrors: 0,
    frameErrors: 0,
    exceptions: 0,
    retries: 0,
    answeredMs: 0,
    disconnects: 0,
    pollCycles: 0,
    readings: 0,
    readingsUnchanged: 0,
    readingsCoalesced: 0,
  };
  #lagLast = 0;
  #lagMax = 0;
  #lagSum = 0;
  readonly #responseMs = new Float64Array(RESPONSE_SAMPLE);
  #responses = 0;

  add(counter: Counter, n = 1): void {
    this.#counts[counter] += n;
  }

  /** A poll cycle started `lagMs` after it was due. */
  cycleStarted(lagMs: number): void {
    const lag = Math.max(0, lagMs);
    this.#counts.pollCycles++;
    this.#lagLast = lag;
    this.#lagMax = Math.max(this.#lagMax, lag);
    this.#lagSum += lag;
  }

  /** A request was answered (as asked, or with an exception) `ms` after it was sent. */
  answeredIn(ms: number): void {
    this.#responseMs[this.#responses % RESPONSE_SAMPLE] = ms;
    this.#responses++;
    this.#counts.answeredMs += ms;
  }

  snapshot(gauges: Pick<ModbusBusMetrics, 'link' | 'open' | 'queueDepth' | 'unitsAttached' | 'unitsDown'>): ModbusBusMetrics {
    const cycles = this.#counts.pollCycles;
    return {
      ...gauges,
      ...this.#counts,
      pollCycleLagMs: { last: this.#lagLast, max: this.#lagMax, mean: cycles === 0 ? 0 : this.#lagSum / cycles },
      responseTimeMs: this.#responseTimes(),
    };
  }

  #responseTimes(): ModbusBusMetrics['responseTimeMs'] {
    const n = Math.min(this.#responses, RESPONSE_SAMPLE);
    if (n === 0) return null;
    const sorted = this.#responseMs.slice(0, n).sort();
    const at = (q: number): number => round(sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0);
    const mean = sorted.reduce((sum, ms) => sum + ms, 0) / n;
    return { mean: round(mean), p50: at(0.5), p99: at(0.99), max: round(sorted[n - 1] ?? 0) };
  }
}

/** Response times in ms to a microsecond: finer would only be noise. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
