import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { GatewayError } from '@iotgw/domain';
import { FileMd5Thread } from './md5-thread.js';
import { storageError } from './storage-errors.js';

/**
 * The MD5 of a file's prefix as the file is written: told how far the bytes are written, it reads
 * them back (from the page cache, as `md5sum` after `curl -o` does) and hashes them in order, so
 * the digest covers what is really in the file, resumed bytes included.
 */
export interface FileMd5 {
  /** Why hashing stopped (the file could not be read back, the worker died), if it did. */
  readonly failure: GatewayError | undefined;
  /**
   * Bytes up to `end` are written: hash them, in the background. `written` are the bytes just
   * written (the tail of that range), which a main-thread hash takes instead of reading back.
   */
  extend(end: number, written?: readonly Buffer[]): void;
  /** MD5 (hex) of the first `bytes` bytes (all passed to `extend`); hashing then restarts at byte 0. */
  digest(bytes: number): Promise<string>;
  close(): Promise<void>;
}

/** Where the MD5 runs: `auto` uses a worker thread for images of at least 16 MiB on a multi-core machine. */
export type Md5Hashing = 'auto' | 'worker' | 'main-thread';

const WORKER_FROM_BYTES = 16 * 1024 * 1024;

export function startFileMd5(path: string, size: number, hashing: Md5Hashing): FileMd5 {
  const worker = hashing === 'worker' || (hashing === 'auto' && size >= WORKER_FROM_BYTES && availableParallelism() > 1);
  return worker ? FileMd5Thread.start(path) : new MainThreadFileMd5(path);
}

const READ_BYTES = 256 * 1024;

/**
 * Hashes on the main thread: the bytes just written when it is handed them (as the download
 * does), else read back with async reads (the resumed prefix). For small images (a thread would
 * cost more than it saves: ~10 MB and a start-up) and single-core machines.
 */
class MainThreadFileMd5 implements FileMd5 {
  private hash: Hash = createHash('md5');
  private hashed = 0;
  private target = 0;
  private pumping: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  private failed: GatewayError | undefined;
  private readonly buffer = Buffer.allocUnsafe(READ_BYTES);

  constructor(private readonly path: string) {}

  get failure(): GatewayError | undefined {
    return this.failed;
  }

  extend(end: number, written?: readonly Buffer[]): void {
    const length = written?.reduce((sum, b) => sum + b.length, 0) ?? -1;
    if (written && !this.pumping && this.hashed === this.target && this.hashed === end - length) {
      for (const bytes of written) this.hash.update(bytes);
      this.hashed = this.target = end;
      return;
    }
    this.target = Math.max(this.target, end);
    this.pumping ??= this.pump()
      .catch((e: unknown) => {
        this.failed ??= storageError(e, 'read back (to hash) the partial firmware file', this.path);
      })
      .finally(() => {
        this.pumping = undefined;
      });
  }

  async digest(bytes: number): Promise<string> {
    while (this.hashed < bytes && !this.failed) {
      this.extend(bytes);
      await this.pumping;
    }
    if (this.failed) throw this.failed;
    const md5 = this.hash.digest('hex');
    this.hash = createHash('md5');
    this.hashed = 0;
    this.target = 0;
    return md5;
  }

  async close(): Promise<void> {
    await this.pumping;
    await this.handle?.close();
  }

  private async pump(): Promise<void> {
    this.handle ??= await open(this.path, 'r');
    while (this.hashed < this.target) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, Math.min(READ_BYTES, this.target - this.hashed), this.hashed);
      if (bytesRead === 0) throw new Error(`the file ends at byte ${this.hashed}, ${this.target} were written`);
      this.hash.update(this.buffer.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
  }
}
