/** Exponential reconnect delay with full jitter avoided on purpose: tests and logs stay predictable. */
export interface BackoffOptions {
  /** First delay after a lost or failed connection, ms. Default 200. */
  readonly initialMs?: number;
  /** Upper bound, ms. Default 10 000. */
  readonly maxMs?: number;
  /** Growth per consecutive failure. Default 2. */
  readonly factor?: number;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialMs ?? 200;
    this.#max = options.maxMs ?? 10_000;
    this.#factor = options.factor ?? 2;
  }

  /** Delay before the next attempt, and counts this failure. */
  next(): number {
    const delay = Math.min(this.#max, this.#initial * this.#factor ** this.#failures);
    this.#failures++;
    return delay;
  }

  /** A connection that worked resets the delay. */
  reset(): void {
    this.#failures = 0;
  }

  get failures(): number {
    return this.#failures;
  }
}
