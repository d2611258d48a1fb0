import { CancelledError } from '@iotgw/domain';

/**
 * Counts permits; waiters are served in order and can give up through their signal. The number
 * of permits may be a function read at each decision (a setting the hub changes at runtime):
 * fewer permits let the holders finish and hold the next waiters back until the count is under
 * the new limit; more serve waiters on the next `recheck` or release.
 */
export class Semaphore {
  #held = 0;
  readonly #permits: () => number;
  readonly #waiters: Array<() => void> = [];

  constructor(permits: number | (() => number)) {
    this.#permits = typeof permits === 'number' ? () => permits : permits;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new CancelledError('waiting for a free OTA slot');
    // Nobody overtakes a waiter: a free permit goes to the queue first.
    if (this.#waiters.length === 0 && this.#held < this.#limit()) {
      this.#held++;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new CancelledError('waiting for a free OTA slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
    return this.#releaser();
  }

  /** The number of permits may have grown: serve the waiters it now allows. */
  recheck(): void {
    while (this.#waiters.length > 0 && this.#held < this.#limit()) {
      this.#held++;
      this.#waiters.shift()?.();
    }
  }

  #limit(): number {
    return Math.max(1, Math.floor(this.#permits()));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      this.recheck();
    };
  }
}
