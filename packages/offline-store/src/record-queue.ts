/** Where one stored record is: its segment number (0 while it is still in memory), offset and size. */
export interface RecordRef {
  readonly seq: number;
  readonly time: number;
  readonly segment: number;
  readonly offset: number;
  readonly size: number;
}

const FIRST_CHUNK = 16;
/**
 * Chunks stop doubling here: the last chunk of each key is partly empty, so a larger one wastes
 * up to (MAX_CHUNK - 1) entries per key (at 4096: ~98 KB a key, 22% of the index at 1,000,000
 * readings of 100 subdevices).
 */
const MAX_CHUNK = 1024;
/** Sequence numbers are kept as offsets from the chunk's first one (Uint32): 4 bytes instead of 8. */
const MAX_SEQ_SPAN = 2 ** 32;
/** Bytes per entry: seq offset, time, segment, offset, size (Uint32 each). */
export const RECORD_REF_BYTES = 20;

/**
 * A run of refs in typed arrays: 20 bytes a record instead of an object each. Times are kept in
 * whole seconds (Uint32 until 2106): ages and bounds need no finer grain. Sequence numbers are
 * offsets from `base` (the first record's); a record too far from it starts a new chunk.
 */
class Chunk {
  readonly seq: Uint32Array;
  readonly time: Uint32Array;
  readonly segment: Uint32Array;
  readonly offset: Uint32Array;
  readonly size: Uint32Array;
  base = 0;
  head = 0;
  tail = 0;
  constructor(readonly capacity: number) {
    this.seq = new Uint32Array(capacity);
    this.time = new Uint32Array(capacity);
    this.segment = new Uint32Array(capacity);
    this.offset = new Uint32Array(capacity);
    this.size = new Uint32Array(capacity);
  }

  seqAt(i: number): number {
    return this.base + this.seq[i]!;
  }
}

/**
 * One key's records in sequence order: a FIFO of chunks that start small and double up to 1024
 * entries, so a thousand subdevices holding one reading each cost little, and a million readings
 * cost ~20 MB. Refs are looked up by sequence number (binary search) when a flush moves a record
 * from memory to a segment.
 */
export class RecordQueue {
  readonly #chunks: Chunk[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Bytes of typed arrays this queue holds (its chunks' capacity, used or not). */
  get bytes(): number {
    let entries = 0;
    for (const c of this.#chunks) entries += c.capacity;
    return entries * RECORD_REF_BYTES;
  }

  push(seq: number, time: number, segment: number, offset: number, size: number): void {
    let last = this.#chunks[this.#chunks.length - 1];
    if (last && last.head === last.tail) last.base = seq; // emptied: reused in place
    if (!last || last.tail === last.capacity || seq - last.base >= MAX_SEQ_SPAN) {
      last = new Chunk(Math.min(MAX_CHUNK, Math.max(FIRST_CHUNK, (last?.capacity ?? 0) * 2)));
      last.base = seq;
      this.#chunks.push(last);
    }
    const i = last.tail++;
    last.seq[i] = seq - last.base;
    last.time[i] = Math.floor(time / 1000);
    last.segment[i] = segment;
    last.offset[i] = offset;
    last.size[i] = size;
    this.#length++;
  }

  /** The `index`-th record from the head (0 = oldest). */
  at(index: number): RecordRef | undefined {
    const found = this.#locate(index);
    if (!found) return undefined;
    const [c, i] = found;
    return { seq: c.seqAt(i), time: c.time[i]! * 1000, segment: c.segment[i]!, offset: c.offset[i]!, size: c.size[i]! };
  }

  /** Sequence number of the oldest record (cheaper than `at(0)`). */
  headSeq(): number | undefined {
    const c = this.#chunks[0];
    return c && c.head < c.tail ? c.seqAt(c.head) : undefined;
  }

  /** Time of the oldest record, ms (whole seconds). */
  headTime(): number | undefined {
    const c = this.#chunks[0];
    return c && c.head < c.tail ? c.time[c.head]! * 1000 : undefined;
  }

  /**
   * Drops the oldest record, writing its seq and segment into `out` (no object per record: this
   * runs once per acknowledgement). False when empty.
   */
  dropHead(out: { seq: number; segment: number }): boolean {
    const c = this.#chunks[0];
    if (!c || c.head === c.tail) return false;
    const i = c.head++;
    out.seq = c.seqAt(i);
    out.segment = c.segment[i]!;
    this.#length--;
    if (c.head === c.tail) {
      if (this.#chunks.length === 1) c.head = c.tail = 0;
      else this.#chunks.shift();
    }
    return true;
  }

  shift(): RecordRef | undefined {
    const c = this.#chunks[0];
    if (!c || c.head === c.tail) return undefined;
    const i = c.head++;
    const ref = { seq: c.seqAt(i), time: c.time[i]! * 1000, segment: c.segment[i]!, offset: c.offset[i]!, size: c.size[i]! };
    this.#length--;
    if (c.head === c.tail) {
      // The last chunk is reused in place: a queue that is emptied at once after each push (the
      // hub keeping up) must not allocate a chunk per record.
      if (this.#chunks.length === 1) c.head = c.tail = 0;
      else this.#chunks.shift();
    }
    return ref;
  }

  /** The record `seq`, if still queued. */
  find(seq: number): RecordRef | undefined {
    const found = this.#search(seq);
    if (!found) return undefined;
    const [c, i] = found;
    return { seq, time: c.time[i]! * 1000, segment: c.segment[i]!, offset: c.offset[i]!, size: c.size[i]! };
  }

  /** Records a flush: the record `seq` now lives in `segment` at `offset`. False when it is gone. */
  relocate(seq: number, segment: number, offset: number): boolean {
    const found = this.#search(seq);
    if (!found) return false;
    const [c, i] = found;
    c.segment[i] = segment;
    c.offset[i] = offset;
    return true;
  }

  /** Binary search from the newest chunk: flushes look up the newest records. */
  #search(seq: number): [Chunk, number] | undefined {
    for (let k = this.#chunks.length - 1; k >= 0; k--) {
      const c = this.#chunks[k]!;
      if (c.head === c.tail || c.seqAt(c.head) > seq) continue;
      let lo = c.head;
      let hi = c.tail - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const s = c.seqAt(mid);
        if (s === seq) return [c, mid];
        if (s < seq) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    return undefined;
  }

  #locate(index: number): [Chunk, number] | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    let left = index;
    for (const c of this.#chunks) {
      const n = c.tail - c.head;
      if (left < n) return [c, c.head + left];
      left -= n;
    }
    return undefined;
  }
}
