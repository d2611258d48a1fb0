/** Where a received DATA seq stands: handed to the application and awaiting its word, or acknowledged. */
export type SeqState = 'pending' | 'acked';

/**
 * The last few seqs received, so a retransmitted DATA frame is delivered once: acknowledged again
 * once acknowledged, held back while the application has not yet said the first copy is safe,
 * and handed over again if the application failed to keep it (forgotten).
 */
export class SeqHistory {
  readonly #ring: number[];
  readonly #state = new Map<number, SeqState>();
  #at = 0;

  constructor(size = 64) {
    this.#ring = new Array<number>(size).fill(-1);
  }

  /** True if `seq` was seen recently; otherwise records it (as acknowledged). */
  seenBefore(seq: number): boolean {
    if (this.#state.has(seq)) return true;
    this.record(seq, 'acked');
    return false;
  }

  stateOf(seq: number): SeqState | undefined {
    return this.#state.get(seq);
  }

  /** Remembers `seq` (the oldest remembered one is forgotten to make room). */
  record(seq: number, state: SeqState): void {
    if (this.#state.has(seq)) {
      this.#state.set(seq, state);
      return;
    }
    const old = this.#ring[this.#at]!;
    if (old >= 0) this.#state.delete(old);
    this.#ring[this.#at] = seq;
    this.#state.set(seq, state);
    this.#at = (this.#at + 1) % this.#ring.length;
  }

  /** A pending `seq` is now acknowledged; false when it is not pending (forgotten meanwhile). */
  acknowledge(seq: number): boolean {
    if (this.#state.get(seq) !== 'pending') return false;
    this.#state.set(seq, 'acked');
    return true;
  }

  /** Forgets `seq`: a retransmission of it is then new again. */
  forget(seq: number): void {
    if (!this.#state.delete(seq)) return;
    const slot = this.#ring.indexOf(seq);
    if (slot >= 0) this.#ring[slot] = -1;
  }
}
