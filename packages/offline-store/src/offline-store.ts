import { silentLogger, SystemClock, type Clock } from '@iotgw/domain';
import { dataRecordSize, type DataRecord } from './record-codec.js';
import { newKeyState, type KeyState, type SegmentInfo } from './log-state.js';
import { recoverLog } from './log-recovery.js';
import { DurableWaiters } from './durable-waiters.js';
import { GroupCommit } from './group-commit.js';
import { LogWriter, type Unwritten } from './log-writer.js';
import { MemorySegmentFiles } from './memory-segment-files.js';
import { NodeSegmentFiles } from './node-segment-files.js';
import { OfflineStoreDroppedError, OfflineStoreFullError } from './offline-store.errors.js';
import { DEFAULTS, type DropReason, type OfflineStoreOptions, type OfflineStoreStats, type OverflowPolicy } from './offline-store.options.js';
import type { RecordRef } from './record-queue.js';
import type { SegmentFiles } from './segment-files.port.js';

/** Write what is unwritten without waiting for the interval once this much piles up. */
const WRITE_EARLY_BYTES = 256 * 1024;

/**
 * QoS 1 uplink held on disk until the hub acknowledges it: an append-only log of segment files,
 * indexed in memory per key (one key per subdevice), in order per key.
 *
 * - `append` is synchronous and cheap: the record joins its key's queue and an in-memory batch
 *   that is written every `syncIntervalMs` (and fsynced), or earlier when it grows.
 * - The sender walks each key's queue with a cursor (`takeUnsent`, `markSent`); `ack` removes
 *   what the hub acknowledged. A segment whose records are all acknowledged is deleted: the log
 *   compacts itself as the hub catches up, it is never rewritten.
 * - Bounds: `maxBytes` (overflow policy), `maxAgeMs`; losses are counted by reason in `stats()`.
 * - Crash safety: a kill -9 or power cut loses at most the last interval's appends; a torn tail
 *   is detected (length + CRC) and ignored on the next open. `whenDurable` tells a caller when one
 *   reading is past that risk (fsynced, group commit within `groupCommitMs`, or acknowledged by the hub).
 */
export class OfflineStore {
  readonly #keys: Map<string, KeyState>;
  readonly #withUnsent = new Set<KeyState>();
  readonly #writer: LogWriter;
  readonly #clock: Clock;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #overflow: OverflowPolicy;
  readonly #configPath: string;
  readonly #writeEarlyBytes: number;
  readonly #dropped: Record<DropReason, number> = { max_bytes: 0, max_age: 0, disk_full: 0 };
  readonly #loop = new AbortController();
  #nextSeq: number;
  #depth = 0;
  /** Reused by #release: no object per acknowledged record. */
  readonly #scratch = { seq: 0, segment: 0 };
  #closed = false;
  #running: Promise<void> | undefined;
  /** Why the last `append` that returned undefined dropped its reading. */
  #refusal: DropReason = 'max_bytes';
  readonly #durableWaiters = new DurableWaiters();
  readonly #groupCommit: GroupCommit;

  private constructor(options: OfflineStoreOptions, files: SegmentFiles, recovered: Awaited<ReturnType<typeof recoverLog>>) {
    this.#clock = options.clock ?? new SystemClock();
    const inMemory = !options.dir && !options.files;
    this.#maxBytes = Math.max(64 * 1024, options.maxBytes ?? (inMemory ? DEFAULTS.memoryMaxBytes : DEFAULTS.maxBytes));
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULTS.maxAgeMs;
    this.#overflow = options.overflow ?? 'drop-oldest';
    this.#configPath = options.configPath ?? 'offlineStore';
    this.#keys = recovered.keys;
    this.#nextSeq = recovered.nextSeq;
    for (const state of this.#keys.values()) {
      this.#depth += state.queue.length;
      this.#touch(state);
    }
    const segmentBytes = Math.max(4096, Math.min(options.segmentBytes ?? DEFAULTS.segmentBytes, Math.floor(this.#maxBytes / 8)));
    this.#writeEarlyBytes = Math.min(WRITE_EARLY_BYTES, segmentBytes);
    this.#writer = new LogWriter({
      files,
      keys: this.#keys,
      segments: recovered.segments,
      nextSegment: recovered.nextSegment,
      segmentBytes,
      maxUnwrittenBytes: options.maxUnwrittenBytes ?? DEFAULTS.maxUnwrittenBytes,
      configPath: this.#configPath,
      where: options.dir ?? 'memory',
      clock: this.#clock,
      logger: (options.logger ?? silentLogger).child({ component: 'offline-store' }),
      onDurable: (seq) => this.#durableWaiters.settleUpTo(seq),
    });
    // In memory nothing survives a crash anyway: no reason to make a waiter wait.
    this.#groupCommit = new GroupCommit({
      writer: this.#writer,
      waiters: this.#durableWaiters,
      clock: this.#clock,
      delayMs: Math.max(0, options.groupCommitMs ?? (inMemory ? 0 : DEFAULTS.groupCommitMs)),
      signal: this.#loop.signal,
    });
  }

  /** Opens (and recovers) the log in `options.dir`, or in memory without one. */
  static async open(options: OfflineStoreOptions = {}): Promise<OfflineStore> {
    const files = options.files ?? (options.dir ? new NodeSegmentFiles(options.dir) : new MemorySegmentFiles());
    const logger = options.logger ?? silentLogger;
    const recovered = await recoverLog(files, logger);
    const store = new OfflineStore(options, files, recovered);
    await store.#writer.start();
    store.#running = store.#syncLoop(options.syncIntervalMs ?? DEFAULTS.syncIntervalMs);
    if (store.#depth > 0) logger.info('offline store: readings held from before the restart', { count: store.#depth, keys: store.#withUnsent.size });
    return store;
  }

  /**
   * Holds a reading for `key`. Returns its sequence number (a number, no object: this runs per
   * reading), or undefined when it was dropped (the store is
   * full under `drop-newest`, or the disk refuses writes and the memory reserve is used up).
   * `sent`: the caller sends it itself right away (nothing of `key` was unsent before it).
   * Throws OfflineStoreFullError when full under `reject`.
   */
  append(key: string, topic: string, payload: Uint8Array, sent = false): number | undefined {
    if (this.#closed) throw new OfflineStoreFullError(this.#maxBytes, this.#configPath);
    let state = this.#keys.get(key);
    if (!state) this.#keys.set(key, (state = newKeyState(key)));
    const size = dataRecordSize(state.keyBytes, Buffer.byteLength(topic), payload.byteLength);
    if (!this.#makeRoom(size)) return undefined;
    const seq = this.#nextSeq++;
    const time = this.#clock.now();
    state.queue.push(seq, time, 0, 0, size);
    if (sent) state.sent++;
    this.#depth++;
    this.#writer.hold({ seq, key: state, topic, payload, time, size, dead: false });
    this.#touch(state);
    if (this.#writer.unwrittenBytes >= this.#writeEarlyBytes) this.#writer.writeSoon();
    return seq;
  }

  /** Why the last `append` that returned undefined dropped the new reading, as the error a waiter gets. */
  refusal(): OfflineStoreDroppedError {
    return new OfflineStoreDroppedError(this.#refusal, this.#configPath);
  }

  /** Resolves once everything appended so far went through a write + fsync attempt. */
  durable(): Promise<void> {
    return this.#writer.durable();
  }

  /**
   * Resolves once reading `seq` (just returned by `append` for `key`) is safe from a crash: written
   * and fsynced, or acknowledged by the hub (`ack`), whichever comes first. While anyone waits, the
   * store fsyncs at once, or `groupCommitMs` later (one fsync for every reading waiting by then),
   * instead of at the next sync interval; while the disk refuses writes it keeps retrying at the sync interval and
   * only the hub's acknowledgement makes a reading safe. Rejects with OfflineStoreDroppedError when
   * the reading is dropped first (a bound, or the disk refused it and the memory reserve ran out, or
   * the store closed with the disk refusing it).
   *
   * `ackGraceMs`: the caller has just sent the reading and expects the hub's acknowledgement
   * within that long; the commit for it waits that long first (a commit that runs meanwhile for
   * other readings covers it too), so a reading acknowledged in time costs no fsync. 0: at once.
   */
  whenDurable(key: string, seq: number, ackGraceMs = 0): Promise<void> {
    if (seq <= this.#writer.durableSeq || seq <= (this.#keys.get(key)?.ackedSeq ?? -1)) return Promise.resolve();
    // Neither durable nor acknowledged, yet no longer held: a bound dropped it.
    if (!this.isHeld(key, seq)) return Promise.reject(new OfflineStoreDroppedError('max_bytes', this.#configPath));
    const graced = ackGraceMs > 0;
    const promise = this.#durableWaiters.wait(seq, graced ? this.#clock.now() + ackGraceMs : 0);
    if (graced) this.#groupCommit.afterGrace();
    else this.#groupCommit.soon();
    return promise;
  }

  /** The hub acknowledged `seq` of `key` (and so everything of `key` before it). */
  ack(key: string, seq: number): void {
    const state = this.#keys.get(key);
    if (!state) return;
    for (let head = state.queue.headSeq(); head !== undefined && head <= seq; head = state.queue.headSeq()) {
      this.#release(state);
      // The hub holds it now: as safe as on our disk.
      this.#durableWaiters.settle(this.#scratch.seq);
    }
    if (seq > state.ackedSeq) state.ackedSeq = seq;
    this.#touch(state);
  }

  // ------------------------------------------------------------ the sender's cursor

  /** Held readings of `key` not handed to the sender yet. */
  unsentOf(key: string): number {
    const state = this.#keys.get(key);
    return state ? state.queue.length - state.sent : 0;
  }

  /** True when some key has readings not handed to the sender yet. */
  get hasUnsent(): boolean {
    return this.#withUnsent.size > 0;
  }

  /** Keys with readings not handed to the sender yet, in a stable order. */
  *keysWithUnsent(): IterableIterator<string> {
    for (const state of this.#withUnsent) yield state.key;
  }

  /** Hands up to `max` of `key`'s next unsent readings to the sender (oldest first). */
  takeUnsent(key: string, max: number): RecordRef[] {
    const state = this.#keys.get(key);
    if (!state) return [];
    const refs: RecordRef[] = [];
    for (let i = state.sent; i < state.queue.length && refs.length < max; i++) {
      const ref = state.queue.at(i);
      if (ref) refs.push(ref);
    }
    state.sent += refs.length;
    this.#touch(state);
    return refs;
  }

  /** The sender sent `count` just-appended readings of `key` itself (the fast path). */
  markSent(key: string, count = 1): void {
    const state = this.#keys.get(key);
    if (!state) return;
    state.sent = Math.min(state.queue.length, state.sent + count);
    this.#touch(state);
  }

  /** `count` readings taken last for `key` were not sent after all (its gate closed meanwhile). */
  unsend(key: string, count: number): void {
    const state = this.#keys.get(key);
    if (!state) return;
    state.sent = Math.max(0, state.sent - count);
    this.#touch(state);
  }

  /** The connection is gone: nothing is in flight any more, every held reading is unsent. */
  unsendAll(): void {
    for (const state of this.#keys.values()) {
      state.sent = 0;
      this.#touch(state);
    }
  }

  /** True while `seq` of `key` is still held (not acknowledged, not dropped). */
  isHeld(key: string, seq: number): boolean {
    return this.#keys.get(key)?.queue.find(seq) !== undefined;
  }

  /** The readings `seq`s of `key`, oldest first; those no longer held are left out. */
  async load(items: ReadonlyArray<{ readonly key: string; readonly seq: number }>): Promise<Array<DataRecord & { readonly seq: number }>> {
    const found: Array<{ ref: RecordRef; key: string; memory: Unwritten | undefined }> = [];
    for (const { key, seq } of items) {
      const ref = this.#keys.get(key)?.queue.find(seq);
      if (ref) found.push({ ref, key, memory: ref.segment === 0 ? this.#writer.unwritten(seq) : undefined });
    }
    const out: Array<DataRecord | undefined> = new Array<DataRecord | undefined>(found.length);
    const fromDisk: Array<{ index: number; ref: RecordRef }> = [];
    found.forEach((f, index) => {
      const m = f.memory;
      if (f.ref.segment === 0) out[index] = m ? { type: 'data', seq: m.seq, time: m.time, key: m.key.key, topic: m.topic, payload: m.payload } : undefined;
      else fromDisk.push({ index, ref: f.ref });
    });
    const read = await this.#writer.readRecords(fromDisk.map((d) => d.ref));
    fromDisk.forEach((d, i) => (out[d.index] = read[i]));
    return out.filter((r): r is DataRecord => r !== undefined);
  }

  // ------------------------------------------------------------ state

  stats(): OfflineStoreStats {
    const now = this.#clock.now();
    let oldest = Infinity;
    const held: Record<string, number> = {};
    for (const state of this.#keys.values()) {
      if (state.queue.length === 0) continue;
      held[state.key] = state.queue.length;
      oldest = Math.min(oldest, state.queue.headTime() ?? Infinity);
    }
    return {
      depth: this.#depth,
      bytes: this.#writer.diskBytes + this.#writer.unwrittenBytes,
      oldestAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
      dropped: { ...this.#dropped },
      held,
      degraded: this.#writer.degraded,
    };
  }

  /** Writes and fsyncs what is left, then closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#loop.abort();
    await this.#running;
    await this.#writer.close();
    // What the last write could not make durable (the disk refused it) is lost with the process.
    this.#durableWaiters.rejectAll(new OfflineStoreDroppedError('disk_full', this.#configPath));
  }

  // ------------------------------------------------------------ internals

  async #syncLoop(intervalMs: number): Promise<void> {
    const signal = this.#loop.signal;
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(intervalMs, signal);
      } catch {
        return; // closed
      }
      this.#dropOlderThan(this.#clock.now() - this.#maxAgeMs);
      await this.#writer.write(true);
    }
  }

  /** Frees room for `bytes` more under the overflow policy; false when the new reading is dropped. */
  #makeRoom(bytes: number): boolean {
    if (this.#writer.reserveExhausted(bytes)) {
      this.#refusal = 'disk_full';
      this.#count('disk_full');
      return false;
    }
    while (this.#writer.diskBytes + this.#writer.unwrittenBytes + bytes > this.#maxBytes) {
      if (this.#overflow === 'reject') throw new OfflineStoreFullError(this.#maxBytes, this.#configPath);
      if (this.#overflow === 'drop-newest') {
        this.#refusal = 'max_bytes';
        this.#count('max_bytes');
        return false;
      }
      const oldest = this.#writer.oldestSealed();
      if (oldest) this.#evict(oldest);
      // Nothing sealed yet (all of it unwritten or in the open segment): drop the oldest readings.
      else if (!this.#dropOldestReading()) break;
    }
    return true;
  }

  /** Drop-oldest at the byte bound: the oldest sealed segment goes, with what it still held. */
  #evict(segment: SegmentInfo): void {
    for (const state of this.#keys.values()) {
      for (let ref = state.queue.at(0); ref && ref.segment === segment.number; ref = state.queue.at(0)) {
        this.#release(state);
        this.#count('max_bytes', true);
      }
      this.#touch(state);
    }
    this.#writer.retire(segment);
  }

  /** The oldest held reading of all keys goes (false when nothing is held). */
  #dropOldestReading(): boolean {
    let oldest: KeyState | undefined;
    let oldestSeq = Infinity;
    for (const state of this.#keys.values()) {
      const head = state.queue.headSeq();
      if (head !== undefined && head < oldestSeq) {
        oldestSeq = head;
        oldest = state;
      }
    }
    if (!oldest) return false;
    this.#release(oldest);
    this.#count('max_bytes', true);
    this.#touch(oldest);
    return true;
  }

  #dropOlderThan(cutoff: number): void {
    for (const state of this.#keys.values()) {
      for (let time = state.queue.headTime(); time !== undefined && time < cutoff; time = state.queue.headTime()) {
        this.#release(state);
        this.#count('max_age', true);
      }
      this.#touch(state);
    }
  }

  /** Removes `state`'s oldest held record (acknowledged or dropped) from the index and its segment. */
  #release(state: KeyState): void {
    if (!state.queue.dropHead(this.#scratch)) return;
    this.#depth--;
    if (state.sent > 0) state.sent--;
    this.#writer.released(this.#scratch.seq, this.#scratch.segment);
  }

  /**
   * Counts a drop. `released`: a held reading was just released for it (its seq is in `#scratch`),
   * so whoever waits for it to be durable learns it is gone; otherwise the new reading was refused.
   */
  #count(reason: DropReason, released = false): void {
    if (released && this.#durableWaiters.size > 0) this.#durableWaiters.settle(this.#scratch.seq, new OfflineStoreDroppedError(reason, this.#configPath));
    this.#dropped[reason]++;
    this.#writer.noteDropped(reason, this.#dropped[reason]);
  }

  /** Keeps the set of keys with unsent readings in step; touches the set only on a change (hot path). */
  #touch(state: KeyState): void {
    const unsent = state.queue.length > state.sent;
    if (unsent === state.listed) return;
    state.listed = unsent;
    if (unsent) this.#withUnsent.add(state);
    else this.#withUnsent.delete(state);
  }
}
