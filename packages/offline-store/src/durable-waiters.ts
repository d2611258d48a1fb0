interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Who waits for which reading to be durable (the store's `whenDurable`), by the store's seq. A
 * reading is settled once: resolved when fsynced or acknowledged by the hub, rejected when
 * dropped first. Map order is append order (`whenDurable` is called right after `append`), so
 * settling "everything up to seq" walks the front only.
 */
export class DurableWaiters {
  readonly #bySeq = new Map<number, Waiter>();

  get size(): number {
    return this.#bySeq.size;
  }

  wait(seq: number): Promise<void> {
    const first = this.#bySeq.get(seq);
    return new Promise<void>((resolve, reject) => {
      // A second caller for the same reading is settled with the first.
      this.#bySeq.set(
        seq,
        first
          ? { resolve: () => (first.resolve(), resolve()), reject: (error) => (first.reject(error), reject(error)) }
          : { resolve, reject },
      );
    });
  }

  /** Resolves (or, with an error, rejects) whoever waits for `seq`. */
  settle(seq: number, error?: Error): void {
    if (this.#bySeq.size === 0) return;
    const waiter = this.#bySeq.get(seq);
    if (!waiter) return;
    this.#bySeq.delete(seq);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  /** Resolves everyone waiting for a seq up to `seq` (they come first: waits are made in append order). */
  settleUpTo(seq: number): void {
    for (const [waiting, waiter] of this.#bySeq) {
      if (waiting > seq) break;
      this.#bySeq.delete(waiting); // deleting the entry just visited is safe while iterating a Map
      waiter.resolve();
    }
  }

  /** Rejects everyone still waiting. */
  rejectAll(error: Error): void {
    for (const waiting of [...this.#bySeq.keys()]) this.settle(waiting, error);
  }
}
