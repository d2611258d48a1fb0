import { CancelledError, ValidationError, type Clock } from '@iotgw/domain';

interface Sleeper {
  readonly due: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * A Clock that only moves when the test says so. `advance(ms)` walks time forward, waking each
 * due sleeper in due order and letting its continuation run before the next one wakes, so code
 * that sleeps in a loop sees every tick it would see in real time.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #sleepers = new Set<Sleeper>();

  /** Starts at `start` ms since the epoch (a fixed instant by default, so tests are repeatable). */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new CancelledError('sleep', { cause: signal.reason }));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#sleepers.delete(sleeper);
        reject(new CancelledError('sleep', { cause: signal?.reason }));
      };
      const sleeper: Sleeper = {
        due: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#sleepers.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** How many sleeps are waiting; lets a test wait until the code under test went to sleep. */
  get pendingSleeps(): number {
    return this.#sleepers.size;
  }

  /** The instant the earliest sleeper wakes, or undefined when nobody sleeps. */
  nextWakeAt(): number | undefined {
    return this.#earliest()?.due;
  }

  /**
   * Moves time forward by `ms`, waking due sleepers in order. Sleeps started by woken code that
   * fall due within the window also wake. Resolves once all of them ran their continuations.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new ValidationError(`advance(${String(ms)}): ms must be a finite number >= 0`);
    const target = this.#now + ms;
    await flush();
    for (let next = this.#earliest(); next && next.due <= target; next = this.#earliest()) {
      this.#now = next.due;
      this.#sleepers.delete(next);
      next.resolve();
      await flush();
    }
    this.#now = target;
  }

  /** Sets the wall clock (e.g. a jump backwards) without waking anybody. */
  set(now: number): void {
    this.#now = now;
  }

  /** Resolves once at least `count` sleeps are pending (polling on macrotasks, no timers). */
  async waitForSleepers(count = 1, maxTurns = 10_000): Promise<void> {
    for (let turn = 0; this.#sleepers.size < count; turn++) {
      if (turn >= maxTurns) throw new ValidationError(`waitForSleepers(${count}): only ${this.#sleepers.size} pending`);
      await flush();
    }
  }

  #earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  }
}

/** One macrotask turn: every pending microtask (promise continuation) runs before it ends. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
