/**
 * The one retry-delay policy of iotgw: exponential growth up to a ceiling, with optional jitter so
 * a fleet of gateways does not reconnect in lockstep. Pure: the random source is a parameter, the
 * state (how many attempts failed) belongs to the caller or to a `Backoff` tracker.
 */
export interface BackoffPolicyOptions {
  /** Delay after the first failure, ms. Default 500. */
  readonly initialDelayMs?: number;
  /** Ceiling, ms. Default 30 000. */
  readonly maxDelayMs?: number;
  /** Growth per consecutive failure. Default 2. */
  readonly factor?: number;
  /** 0..1: the share of each delay that is random (taken off, never added). Default 0. */
  readonly jitter?: number;
}

/** A validated policy: every field present and in range. */
export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
}

/** Fills in defaults and clamps nonsense (a zero delay, a ceiling below the start, jitter > 1). */
export function backoffPolicy(options: BackoffPolicyOptions = {}): BackoffPolicy {
  const initialDelayMs = Math.max(1, options.initialDelayMs ?? 500);
  return {
    initialDelayMs,
    maxDelayMs: Math.max(initialDelayMs, options.maxDelayMs ?? 30_000),
    factor: Math.max(1, options.factor ?? 2),
    jitter: Math.min(1, Math.max(0, options.jitter ?? 0)),
  };
}

/**
 * Delay before retry number `failures` (0 = after the first failure). `random` is a draw in
 * [0, 1): with jitter j the delay lies in (base × (1 − j), base].
 */
export function backoffDelay(policy: BackoffPolicy, failures: number, random = 0): number {
  // The exponent is capped so a long outage never overflows to Infinity before the ceiling applies.
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.min(Math.max(0, failures), 64));
  return Math.round(base * (1 - policy.jitter * random));
}

/** Counts consecutive failures against one policy: `next()` after each failure, `reset()` on success. */
export class Backoff {
  readonly policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffPolicyOptions = {}, random: () => number = Math.random) {
    this.policy = backoffPolicy(options);
    this.#random = random;
  }

  /** Failures counted since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** The delay before the next attempt; counts this failure. */
  next(): number {
    const delay = backoffDelay(this.policy, this.#failures, this.policy.jitter > 0 ? this.#random() : 0);
    this.#failures++;
    return delay;
  }

  /** An attempt worked: the next failure starts from the initial delay again. */
  reset(): void {
    this.#failures = 0;
  }
}
