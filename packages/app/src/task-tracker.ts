import { setMaxListeners } from 'node:events';
import { CancelledError, toGatewayError, type GatewayError, type Logger } from '@iotgw/domain';

/**
 * Background work started from event listeners (which cannot await). Every task is tracked so
 * `idle()` can wait for it and `abort()` can cancel it; failures are logged, never unhandled.
 */
export class TaskTracker {
  readonly #tasks = new Set<Promise<void>>();
  readonly #controller = new AbortController();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
    // Every running task's calls listen on this one signal: many readings in flight while the hub
    // is away are many listeners, not a leak (they go when each call ends).
    setMaxListeners(0, this.#controller.signal);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  run(what: string, work: (signal: AbortSignal) => Promise<void>): void {
    void this.track(what, work); // its failure is logged by track
  }

  /**
   * Like `run`, and returns the work's own promise for a caller that acts on its outcome (a link
   * acknowledging a reading once it is durable). A failure is logged (or given to `onError`)
   * either way; the returned promise then rejects too, already handled, so ignoring it is safe.
   */
  track(what: string, work: (signal: AbortSignal) => Promise<void>, onError?: (error: GatewayError) => void): Promise<void> {
    if (this.#controller.signal.aborted) {
      const stopped = Promise.reject(new CancelledError(what));
      stopped.catch(() => undefined); // handled: a caller that ignores it must not crash the process
      return stopped;
    }
    const outcome = work(this.#controller.signal);
    const task = outcome
      .catch((error: unknown) => {
        if (this.#controller.signal.aborted) return;
        const e = toGatewayError(error, what);
        if (onError) onError(e);
        else this.#logger.warn(`${what} failed: ${e.message}`, { code: e.code });
      })
      .finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
    return outcome;
  }

  /** Resolves when no task is running (including tasks started meanwhile). */
  async idle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /** Cancels every task with `reason` (the signal's reason, for those that tell why they stopped). */
  async abort(reason?: unknown): Promise<void> {
    this.#controller.abort(reason);
    await this.idle();
  }
}
