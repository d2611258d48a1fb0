import type { Clock } from '@iotgw/domain';
import type { DurableWaiters } from './durable-waiters.js';
import type { LogWriter } from './log-writer.js';

/**
 * Group commit: one write + fsync for every reading waiting by the time it starts, instead of
 * one per reading or one per sync interval. With `delayMs` 0 it is queued after the current turn
 * of the event loop (it starts as soon as the running write ends, so readings that wait meanwhile
 * share the next one); otherwise it waits that long first.
 */
export class GroupCommit {
  readonly #writer: LogWriter;
  readonly #waiters: DurableWaiters;
  readonly #clock: Clock;
  readonly #delayMs: number;
  readonly #signal: AbortSignal;
  #queued = false;

  constructor(options: { writer: LogWriter; waiters: DurableWaiters; clock: Clock; delayMs: number; signal: AbortSignal }) {
    this.#writer = options.writer;
    this.#waiters = options.waiters;
    this.#clock = options.clock;
    this.#delayMs = options.delayMs;
    this.#signal = options.signal;
  }

  /** Someone waits for a reading to be durable: make sure a commit is on its way. */
  soon(): void {
    // A refusing disk is retried at the sync interval, not every few ms.
    if (this.#queued || this.#signal.aborted || this.#writer.degraded) return;
    this.#queued = true;
    const commit = (): Promise<void> =>
      this.#writer.write(true, () => {
        // From here on this write has taken what is held: later waiters need the next one.
        this.#queued = false;
      });
    if (this.#delayMs === 0) {
      // After this turn of the event loop: a burst of readings in one turn shares one fsync.
      setImmediate(() => void commit()); // never rejects
      return;
    }
    this.#clock.sleep(this.#delayMs, this.#signal).then(
      async () => {
        // Everyone may have been settled by the hub's acknowledgements meanwhile: no fsync then.
        if (this.#waiters.size > 0) await commit();
        else this.#queued = false;
      },
      () => {
        this.#queued = false; // closed: the store's close() writes and settles what is left
      },
    ).catch(() => undefined); // write() never rejects
  }
}
