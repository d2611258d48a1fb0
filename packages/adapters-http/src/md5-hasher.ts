import { Worker } from 'node:worker_threads';

/**
 * MD5 computed on a worker thread, so hashing (the largest CPU cost of a download) overlaps with
 * receiving and writing instead of adding to them. Batches are handed over in a small fixed pool
 * of SharedArrayBuffers, reused (fresh ones pile up: their memory is freed only when both
 * isolates collect garbage). A slot is free again once the worker hashed it and the caller wrote
 * it, so memory stays at `SLOTS` batches however far the worker or the disk lags.
 */
const SLOTS = 4;

interface Slot {
  shared: SharedArrayBuffer;
  /** Users still holding the slot: the worker (until its ack) and the caller (until release). */
  users: number;
}

/** A batch in shared memory: write `data`, then call `release`. */
export interface HashedBatch {
  readonly data: Buffer;
  readonly release: () => void;
}

// Inline source: no separate file to resolve from dist/, and the worker has one job.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let hash = createHash('md5');
parentPort.on('message', (m) => {
  if (m.type === 'update') { hash.update(new Uint8Array(m.data, 0, m.length)); parentPort.postMessage({ type: 'ack', slot: m.slot }); }
  else if (m.type === 'reset') { hash = createHash('md5'); }
  else if (m.type === 'digest') { parentPort.postMessage({ type: 'digest', hex: hash.digest('hex') }); hash = createHash('md5'); }
});
`;

export class Md5Hasher {
  private readonly worker: Worker;
  private readonly slots: Slot[] = [];
  private readonly waiting: (() => void)[] = [];
  private digestWaiter: { resolve: (hex: string) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { type: 'ack'; slot: number } | { type: 'digest'; hex: string }) => {
      if (m.type === 'ack') {
        this.unuse(m.slot);
      } else {
        this.digestWaiter?.resolve(m.hex);
        this.digestWaiter = undefined;
      }
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', () => this.fail(new Error('MD5 worker exited')));
  }

  /**
   * Copies `chunks` (total `length` bytes) into shared memory and returns it as a Buffer the caller
   * may write to disk while the worker hashes the same bytes. Waits while the worker is behind.
   */
  async update(chunks: readonly Buffer[], length: number): Promise<HashedBatch> {
    let index = this.freeSlot();
    while (index < 0 && !this.failure) {
      await new Promise<void>((r) => this.waiting.push(r));
      index = this.freeSlot();
    }
    if (this.failure) throw this.failure;
    let slot = this.slots[index];
    if (!slot || slot.shared.byteLength < length) {
      slot = { shared: new SharedArrayBuffer(length), users: 0 };
      this.slots[index] = slot;
    }
    slot.users = 2;
    const data = Buffer.from(slot.shared, 0, length);
    let at = 0;
    for (const chunk of chunks) at += chunk.copy(data, at);
    this.worker.postMessage({ type: 'update', data: slot.shared, length, slot: index });
    let released = false;
    return {
      data,
      release: () => {
        if (released) return;
        released = true;
        this.unuse(index);
      },
    };
  }

  private freeSlot(): number {
    for (let i = 0; i < SLOTS; i += 1) if ((this.slots[i]?.users ?? 0) === 0) return i;
    return -1;
  }

  private unuse(index: number): void {
    const slot = this.slots[index];
    if (slot) slot.users -= 1;
    this.waiting.shift()?.();
  }

  /** Starts over (the server restarted from byte 0). Updates already sent are hashed first, then dropped. */
  reset(): void {
    if (!this.failure) this.worker.postMessage({ type: 'reset' });
  }

  /** MD5 (hex) of every byte sent since the start or the last reset. */
  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    return new Promise<string>((resolve, reject) => {
      this.digestWaiter = { resolve, reject };
      this.worker.postMessage({ type: 'digest' });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    if (this.closed && !this.digestWaiter) return;
    this.failure ??= e;
    for (const wake of this.waiting.splice(0)) wake();
    this.digestWaiter?.reject(this.failure);
    this.digestWaiter = undefined;
  }
}
