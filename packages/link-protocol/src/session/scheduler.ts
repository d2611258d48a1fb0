/**
 * Where the session engines get time from. Inject a ManualScheduler to run a whole session in
 * virtual time (tests, benchmarks); realScheduler uses the process clock and timers.
 */
export interface Scheduler {
  now(): number;
  /** Runs `fn` once after `delayMs`; returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, delayMs);
    return () => clearTimeout(handle);
  },
};

interface ManualTimer {
  readonly at: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Virtual time: nothing happens until `advance`/`runNext` is called. */
export class ManualScheduler implements Scheduler {
  #now: number;
  #order = 0;
  #timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer: ManualTimer = { at: this.#now + Math.max(0, delayMs), order: this.#order++, fn, cancelled: false };
    this.#timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Time of the next pending timer, or undefined. */
  nextAt(): number | undefined {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    let best: ManualTimer | undefined;
    for (const t of this.#timers) if (!best || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    return best?.at;
  }

  /** Moves time to the next timer and runs it. False when none is pending. */
  runNext(): boolean {
    const at = this.nextAt();
    if (at === undefined) return false;
    let best: ManualTimer | undefined;
    for (const t of this.#timers) if (t.at === at && (!best || t.order < best.order)) best = t;
    this.#timers.splice(this.#timers.indexOf(best!), 1);
    this.#now = Math.max(this.#now, at);
    best!.fn();
    return true;
  }

  /**
   * `ms` pass while the process does not run (a stalled event loop, a starved CPU): no timer runs
   * now; those due meanwhile run late, on the next `advance`/`runNext`.
   */
  freeze(ms: number): void {
    this.#now += ms;
  }

  /** Runs every timer due within `ms` from now, then sets the clock to now + ms. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const at = this.nextAt();
      if (at === undefined || at > until) break;
      this.runNext();
    }
    this.#now = until;
  }
}

/** A tick at least this late means the process itself was not running (a stalled event loop, a starved CPU). */
export const STALL_MS = 250;

/**
 * Runs `fn` once after `delayMs`, telling it how long this process was stalled when it ran that
 * late (0 otherwise). After a stall, timers run before the I/O that waited meanwhile is read:
 * a keepalive judged then would blame the peer for our own silence.
 */
export function setTick(scheduler: Scheduler, delayMs: number, fn: (stalledMs: number) => void): () => void {
  const due = scheduler.now() + delayMs;
  return scheduler.setTimer(delayMs, () => {
    const late = scheduler.now() - due;
    fn(late >= STALL_MS ? late : 0);
  });
}
