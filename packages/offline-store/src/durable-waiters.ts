interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Clock ms until which the hub's acknowledgement is awaited before an fsync (0: none). */
  readonly due: number;
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

  /** `due`: until when (clock ms) the caller expects the hub's acknowledgement; 0 for none. */
  wait(seq: number, due = 0): Promise<void> {
    const first = this.#bySeq.get(seq);
    return new Promise<void>((resolve, reject) => {
      // A second caller for the same reading is settled with the first (and needs it as soon).
      this.#bySeq.set(
        seq,
        first
          ? { resolve: () => (first.resolve(), resolve()), reject: (error) => (first.reject(error), reject(error)), due: Math.min(first.due, due) }
          : { resolve, reject, due },
      );
    });
  }

  /** The `due` of the oldest waiter (the one waiting longest), or undefined when nobody waits. */
  oldestDue(): number | undefined {
    for (const waiter of this.#bySeq.values()) return waiter.due;
    return undefined;
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
