/** Exponential backoff with jitter, so a fleet of gateways does not reconnect in lockstep. */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #jitter: number;
  #attempt = 0;

  constructor(initialDelayMs = 500, maxDelayMs = 30_000, jitter = 0.3) {
    this.#initial = Math.max(1, initialDelayMs);
    this.#max = Math.max(this.#initial, maxDelayMs);
    this.#jitter = Math.min(1, Math.max(0, jitter));
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** Delay before the next attempt; grows 2x per attempt up to the maximum. */
  next(): number {
    const base = Math.min(this.#max, this.#initial * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(base * (1 - this.#jitter * Math.random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
