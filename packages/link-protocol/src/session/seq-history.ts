/** The last few seqs received, so a retransmitted DATA frame is acked again but delivered once. */
export class SeqHistory {
  readonly #ring: number[];
  readonly #seen = new Set<number>();
  #at = 0;

  constructor(size = 64) {
    this.#ring = new Array<number>(size).fill(-1);
  }

  /** True if `seq` was seen recently; otherwise records it. */
  seenBefore(seq: number): boolean {
    if (this.#seen.has(seq)) return true;
    const old = this.#ring[this.#at]!;
    if (old >= 0) this.#seen.delete(old);
    this.#ring[this.#at] = seq;
    this.#seen.add(seq);
    this.#at = (this.#at + 1) % this.#ring.length;
    return false;
  }
}
