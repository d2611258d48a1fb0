import type { Clock, Logger } from '@iotgw/domain';
import { findBySeq, splitBySize, type Unwritten } from './unwritten.js';
import { decodeRecord, encodeAck, encodeDataInto, segmentHeader, type DataRecord } from './record-codec.js';
import { segmentName, type KeyState, type SegmentInfo } from './log-state.js';
import type { DropReason } from './offline-store.options.js';
import type { RecordRef } from './record-queue.js';
import type { SegmentFiles, SegmentWriter } from './segment-files.port.js';

export type { Unwritten } from './unwritten.js';

export interface LogWriterOptions {
  readonly files: SegmentFiles;
  readonly keys: ReadonlyMap<string, KeyState>;
  readonly segments: readonly SegmentInfo[];
  readonly nextSegment: number;
  readonly segmentBytes: number;
  readonly maxUnwrittenBytes: number;
  readonly configPath: string;
  /** The directory, for messages. */
  readonly where: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Every record up to `seq` (in append order) is now written and fsynced. */
  readonly onDurable?: (seq: number) => void;
}

/** How often a persisting problem (disk full, drops) is summarised in the log. */
const SUMMARY_EVERY_MS = 60_000;
/** Records closer than this are read from disk in one read. */
const READ_GAP_BYTES = 64 * 1024;
/**
 * Records are encoded into one buffer of this size, reused by every write (a batch larger than it
 * goes in several appends): no buffer per write. A buffer per write of a whole batch was up to a
 * segment (8 MiB) each, freed only when V8 collected its handle, which the write kept alive long
 * enough to reach the old generation.
 */
export const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * The disk side of the store: batches appended records, writes them to the active segment (one
 * writev per interval), seals segments at `segmentBytes`, deletes segments nothing holds, reads
 * records back. Writes are serialized. A failed write (ENOSPC, EIO) is cut back, kept in memory
 * (bounded by `maxUnwrittenBytes`) and retried: the store runs degraded instead of failing.
 */
export class LogWriter {
  readonly #o: LogWriterOptions;
  /** Every segment on disk, oldest first (Map order is insertion order). */
  readonly #segments = new Map<number, SegmentInfo>();
  #unwritten: Unwritten[] = [];
  /** The batch being written now. */
  #writing: Unwritten[] = [];
  #unwrittenBytes = 0;
  #diskBytes = 0;
  #nextSegment: number;
  #active: { readonly info: SegmentInfo; readonly writer: SegmentWriter; broken: boolean } | undefined;
  /** Where records are encoded for a write; reused (writes are serialized and each append is awaited). */
  #encodeBuffer: Buffer | undefined;
  #chain: Promise<void> = Promise.resolve();
  #earlyQueued = false;
  #waiters: Array<() => void> = [];
  /** The seq of the last record held (appended). */
  #lastHeld = -1;
  /** Every record up to this seq is written and fsynced (or was released before it needed to be). */
  #durableSeq = -1;
  #degraded: { code: string; message: string; sinceMs: number } | undefined;
  #lastSummary = 0;
  #failuresSinceSummary = 0;
  readonly #droppedSinceSummary = new Map<DropReason, number>();

  constructor(options: LogWriterOptions) {
    this.#o = options;
    this.#nextSegment = options.nextSegment;
    for (const s of options.segments) {
      this.#segments.set(s.number, s);
      this.#diskBytes += s.bytes;
    }
  }

  get unwrittenBytes(): number {
    return this.#unwrittenBytes;
  }

  get diskBytes(): number {
    return this.#diskBytes;
  }

  get degraded(): { readonly code: string; readonly message: string; readonly sinceMs: number } | undefined {
    return this.#degraded ? { ...this.#degraded } : undefined;
  }

  /** Opens a fresh segment (its checkpoint carries every key's acknowledgement), drops dead ones. */
  async start(): Promise<void> {
    await this.write(true);
    for (const s of [...this.#segments.values()]) if (s.live === 0 && s !== this.#active?.info) this.retire(s);
  }

  /** Every record held up to this seq is on disk and fsynced (or was released unwritten). */
  get durableSeq(): number {
    return this.#durableSeq;
  }

  hold(record: Unwritten): void {
    this.#lastHeld = record.seq;
    this.#unwritten.push(record);
    this.#unwrittenBytes += record.size;
  }

  /** The unwritten record `seq`: a binary search (the batch is in sequence order), no index to keep. */
  unwritten(seq: number): Unwritten | undefined {
    const found = findBySeq(this.#unwritten, seq) ?? findBySeq(this.#writing, seq);
    return found && !found.dead ? found : undefined;
  }

  /** True when the disk refuses writes and `bytes` more would exceed the memory reserve. */
  reserveExhausted(bytes: number): boolean {
    return this.#degraded !== undefined && this.#unwrittenBytes + bytes > this.#o.maxUnwrittenBytes;
  }

  /** A held record was acknowledged or dropped: its segment may now be deleted. */
  released(seq: number, segmentNumber: number): void {
    if (segmentNumber === 0) {
      const record = this.unwritten(seq);
      if (record) {
        record.dead = true;
        this.#unwrittenBytes -= record.size;
      }
      return;
    }
    const segment = this.#segments.get(segmentNumber);
    if (!segment) return;
    segment.live--;
    if (segment.live <= 0 && segment !== this.#active?.info) this.retire(segment);
  }

  /** The oldest segment that is not being written, if any. */
  oldestSealed(): SegmentInfo | undefined {
    for (const s of this.#segments.values()) if (s !== this.#active?.info) return s;
    return undefined;
  }

  /** Deletes a segment file (nothing it holds is needed any more). */
  retire(segment: SegmentInfo): void {
    if (!this.#segments.delete(segment.number)) return;
    this.#diskBytes -= segment.bytes;
    // Serialized with writes, so a close never leaves a removal half done.
    this.#chain = this.#chain.then(() =>
      this.#o.files.remove(segment.name).catch((error: unknown) => {
        this.#o.logger.debug('removing a finished segment failed', { segment: segment.name, reason: (error as Error).message });
      }),
    );
  }

  /** Resolves after the next write + fsync attempt that covers everything held so far. */
  durable(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Starts a write of what piled up, without fsync, unless one is already queued. */
  writeSoon(): void {
    if (this.#earlyQueued || this.#degraded) return;
    this.#earlyQueued = true;
    void this.write(false).finally(() => (this.#earlyQueued = false)); // write() never rejects
  }

  /**
   * Writes every live unwritten record and pending acknowledgement; `sync` also fsyncs. Never
   * rejects. Writes run one at a time; `starting` is called when this one begins (after those
   * queued before it), i.e. when it takes the records held by then.
   */
  write(sync: boolean, starting?: () => void): Promise<void> {
    const run = this.#chain.then(() => {
      starting?.();
      return this.#writeNow(sync);
    });
    this.#chain = run;
    return run;
  }

  async close(): Promise<void> {
    await this.write(true);
    await this.#chain;
    const lost = this.#unwritten.filter((r) => !r.dead).length;
    if (lost > 0) this.#o.logger.error(`offline store: closing with ${lost} readings the disk refused (${this.#degraded?.code ?? 'error'}); they are lost`, { dir: this.#o.where });
    const active = this.#active;
    this.#active = undefined;
    await active?.writer.close().catch(() => undefined);
  }

  /** Reads records from sealed or active segments; a record whose segment is gone reads as undefined. */
  async readRecords(refs: readonly RecordRef[]): Promise<Array<DataRecord | undefined>> {
    const out = new Array<DataRecord | undefined>(refs.length);
    const order = refs.map((ref, index) => ({ ref, index })).sort((a, b) => a.ref.segment - b.ref.segment || a.ref.offset - b.ref.offset);
    for (let i = 0; i < order.length; ) {
      // One read for a run of records of one segment lying close together.
      let j = i + 1;
      const first = order[i]!.ref;
      let end = first.offset + first.size;
      while (j < order.length && order[j]!.ref.segment === first.segment && order[j]!.ref.offset - end < READ_GAP_BYTES) {
        end = Math.max(end, order[j]!.ref.offset + order[j]!.ref.size);
        j++;
      }
      const segment = this.#segments.get(first.segment);
      const bytes = segment ? await this.#o.files.read(segment.name, first.offset, end - first.offset).catch(() => undefined) : undefined;
      let payloadBytes = 0;
      for (let k = i; k < j; k++) {
        const { ref, index } = order[k]!;
        const decoded = bytes ? decodeRecord(bytes, ref.offset - first.offset) : 'corrupt';
        const record = typeof decoded === 'object' && decoded.record.type === 'data' && decoded.record.seq === ref.seq ? decoded.record : undefined;
        out[index] = record;
        payloadBytes += record?.payload.byteLength ?? 0;
      }
      compactPayloads(out, order, i, j, payloadBytes);
      i = j;
    }
    return out;
  }

  /** Counts a drop in the periodic summary (never one log line per reading). */
  noteDropped(reason: DropReason, total: number): void {
    this.#droppedSinceSummary.set(reason, (this.#droppedSinceSummary.get(reason) ?? 0) + 1);
    this.#summarise(`readings dropped (total ${total} by ${reason})`);
  }

  async #writeNow(sync: boolean): Promise<void> {
    const waiters = sync ? this.#waiters.splice(0) : [];
    // Everything held up to here is in this batch or was written by an earlier write (whose
    // segment is this active one, or one sealed with an fsync): this fsync makes all of it durable.
    const upTo = this.#lastHeld;
    const batch = this.#unwritten.filter((r) => !r.dead);
    this.#unwritten = [];
    // Still findable (reads, acknowledgements) while the write is on its way.
    this.#writing = batch;
    const acks = [...this.#o.keys.values()].filter((k) => k.ackedSeq > k.ackWritten);
    let start = -1;
    try {
      // A batch larger than a segment is spread over several, so each can be deleted on its own;
      // a group fits the reused encode buffer.
      const groups = splitBySize(batch, Math.min(this.#o.segmentBytes, WRITE_BUFFER_BYTES));
      if (groups.length === 0 && (acks.length > 0 || !this.#active)) groups.push([]);
      for (const [g, group] of groups.entries()) {
        const groupAcks = g === groups.length - 1 ? acks : [];
        const active = await this.#activeFor(group.reduce((n, r) => n + r.size, 0));
        start = active.info.bytes;
        const ackSeqs = groupAcks.map((k) => k.ackedSeq);
        // One buffer for the whole group: no Buffer per record, one slice of the iovec.
        const data = this.#encodeBufferFor(group.reduce((n, r) => n + r.size, 0));
        let at = 0;
        for (const r of group) at = encodeDataInto(data, at, r.seq, r.time, r.key.key, r.topic, r.payload);
        const chunks = [data.subarray(0, at), ...groupAcks.map((k, i) => encodeAck(ackSeqs[i]!, k.key))];
        await active.writer.append(chunks);
        let offset = start;
        for (const r of group) {
          if (!r.dead && r.key.queue.relocate(r.seq, active.info.number, offset)) {
            active.info.live++;
            active.info.newest = Math.max(active.info.newest, r.time);
          }
          if (!r.dead) this.#unwrittenBytes -= r.size;
          r.dead = true;
          offset += r.size;
        }
        const written = chunks.reduce((n, c) => n + c.length, 0);
        active.info.bytes += written;
        this.#diskBytes += written;
        groupAcks.forEach((k, i) => (k.ackWritten = Math.max(k.ackWritten, ackSeqs[i]!)));
      }
      if (sync && this.#active) await this.#active.writer.sync();
      if (sync && upTo > this.#durableSeq) {
        this.#durableSeq = upTo;
        this.#o.onDurable?.(upTo);
      }
      if (this.#degraded) {
        this.#o.logger.warn('offline store: writing works again', { dir: this.#o.where, afterMs: this.#o.clock.now() - this.#degraded.sinceMs });
        this.#degraded = undefined;
      }
    } catch (error) {
      await this.#failed(error, batch, start);
    } finally {
      this.#writing = [];
      for (const w of waiters) w();
    }
  }

  /** The reused encode buffer, or (a single record larger than it) a buffer of its own. */
  #encodeBufferFor(bytes: number): Buffer {
    if (bytes > WRITE_BUFFER_BYTES) return Buffer.allocUnsafe(bytes);
    this.#encodeBuffer ??= Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
    return this.#encodeBuffer;
  }

  /** The segment to write `bytes` more to: the active one, or a fresh one past `segmentBytes`. */
  async #activeFor(bytes: number): Promise<{ readonly info: SegmentInfo; readonly writer: SegmentWriter; broken: boolean }> {
    const active = this.#active;
    if (active && !active.broken && (active.info.bytes + bytes <= this.#o.segmentBytes || active.info.bytes <= segmentHeader().length)) return active;
    if (active) {
      this.#active = undefined;
      // Sealed with an fsync: a later fsync of the next segment then covers everything before it.
      try {
        if (!active.broken) await active.writer.sync();
      } finally {
        // A failed fsync fails this write (retried: degraded, as for any write error); the file still closes.
        await active.writer.close().catch(() => undefined);
      }
      if (active.info.live <= 0) this.retire(active.info);
    }
    const number = this.#nextSegment++;
    const name = segmentName(number);
    const writer = await this.#o.files.create(name);
    // A checkpoint of every key's acknowledgement opens each segment, so deleting older ones
    // never brings acknowledged readings back after a restart.
    const checkpoint = [...this.#o.keys.values()].filter((k) => k.ackedSeq > 0);
    const chunks = [segmentHeader(), ...checkpoint.map((k) => encodeAck(k.ackedSeq, k.key))];
    try {
      await writer.append(chunks);
    } catch (error) {
      await writer.close().catch(() => undefined);
      await this.#o.files.remove(name).catch(() => undefined);
      throw error;
    }
    for (const k of checkpoint) k.ackWritten = Math.max(k.ackWritten, k.ackedSeq);
    const bytesWritten = chunks.reduce((n, c) => n + c.length, 0);
    const info: SegmentInfo = { number, name, bytes: bytesWritten, live: 0, newest: 0 };
    this.#segments.set(number, info);
    this.#diskBytes += bytesWritten;
    this.#active = { info, writer, broken: false };
    return this.#active;
  }

  /** A write failed: cut the partial append back, keep the batch in memory, run degraded. */
  async #failed(error: unknown, batch: Unwritten[], start: number): Promise<void> {
    const active = this.#active;
    if (active && start >= 0) {
      // Without the cut, the next append would follow a torn record and be unreadable.
      await active.writer.truncate(start).catch(() => (active.broken = true));
    }
    this.#unwritten = batch.filter((r) => !r.dead).concat(this.#unwritten);
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const message = (error as Error).message;
    if (!this.#degraded) {
      this.#degraded = { code, message, sinceMs: this.#o.clock.now() };
      this.#o.logger.warn(
        `offline store: cannot write to ${this.#o.where} (${code}): readings are kept in memory (up to ${this.#o.maxUnwrittenBytes} bytes) and written when it works again; free space there or lower ${this.#o.configPath}.maxBytes`,
        { code },
      );
      this.#lastSummary = this.#o.clock.now();
      return;
    }
    this.#failuresSinceSummary++;
    this.#summarise(`still cannot write (${code})`);
  }

  /** At most one summary line per minute for persisting trouble, with the counts since the last. */
  #summarise(what: string): void {
    const now = this.#o.clock.now();
    if (now - this.#lastSummary < SUMMARY_EVERY_MS) return;
    this.#lastSummary = now;
    const dropped = Object.fromEntries(this.#droppedSinceSummary);
    this.#droppedSinceSummary.clear();
    const failures = this.#failuresSinceSummary;
    this.#failuresSinceSummary = 0;
    this.#o.logger.warn(`offline store: ${what}; since the last summary: ${JSON.stringify({ ...dropped, writeFailures: failures })}; raise ${this.#o.configPath}.maxBytes / maxAgeMs or restore the hub connection`, {
      unwrittenBytes: this.#unwrittenBytes,
      diskBytes: this.#diskBytes,
    });
  }
}

/**
 * The payloads decoded from one read are views into it, and the read spans every byte between
 * them (up to READ_GAP_BYTES of other subdevices' readings per gap): one reading still in flight
 * would keep the whole read alive. They are copied into one buffer of just their bytes. Not a
 * detail: draining 1M readings of 100 subdevices with a 256 MB heap, the reads kept alive came to
 * 16–30 MB of ArrayBuffers and V8 ran 798–877 major GCs; with the copy 5–15 MB and 497–616.
 */
function compactPayloads(out: Array<DataRecord | undefined>, order: ReadonlyArray<{ readonly index: number }>, from: number, to: number, payloadBytes: number): void {
  const compact = Buffer.allocUnsafeSlow(payloadBytes);
  let at = 0;
  for (let k = from; k < to; k++) {
    const index = order[k]!.index;
    const record = out[index];
    if (!record) continue;
    compact.set(record.payload, at);
    out[index] = { ...record, payload: compact.subarray(at, at + record.payload.byteLength) };
    at += record.payload.byteLength;
  }
}
