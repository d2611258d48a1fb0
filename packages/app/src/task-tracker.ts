import { setMaxListeners } from 'node:events';
import { toGatewayError, type Logger } from '@iotgw/domain';

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
    if (this.#controller.signal.aborted) return;
    const task = work(this.#controller.signal)
      .catch((error: unknown) => {
        if (this.#controller.signal.aborted) return;
        const e = toGatewayError(error, what);
        this.#logger.warn(`${what} failed: ${e.message}`, { code: e.code });
      })
      .finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
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
