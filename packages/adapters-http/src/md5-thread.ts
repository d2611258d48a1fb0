import { Worker } from 'node:worker_threads';
import type { GatewayError } from '@iotgw/domain';
import type { Md5Reply, Md5Request } from './md5-worker.js';
import { storageError } from './storage-errors.js';
import type { FileMd5 } from './file-md5.js';

/**
 * The main thread's handle on the MD5 worker (`md5-worker.ts`): tells it how far the file is
 * written, and asks for the digest at the end. Nothing is awaited per chunk; a failure (the file
 * could not be read back, the thread died) is kept and surfaces at the next `failure` check or
 * at `digest`.
 */
export class FileMd5Thread implements FileMd5 {
  private readonly exited: Promise<void>;
  private pendingDigest: { resolve: (md5: string) => void; reject: (e: GatewayError) => void; bytes: number } | undefined;
  private failed: GatewayError | undefined;
  private stopping = false;

  private constructor(
    private readonly worker: Worker,
    private readonly path: string,
  ) {
    worker.on('message', (reply: Md5Reply) => {
      if (reply.op === 'failed') {
        this.fail(Object.assign(new Error(reply.message), { code: reply.code }));
      } else if (this.pendingDigest) {
        const waiter = this.pendingDigest;
        this.pendingDigest = undefined;
        if (reply.bytes === waiter.bytes) waiter.resolve(reply.md5);
        else this.fail(new Error(`hashed ${reply.bytes} bytes, ${waiter.bytes} were written`));
      }
    });
    worker.on('error', (e: Error) => this.fail(e));
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        if (!this.stopping) this.fail(new Error(`the MD5 worker thread exited with code ${code}`));
        resolve();
      });
    });
  }

  /** Starts a worker that hashes the file at `path` as it is written (~10 MB of RSS while it runs). */
  static start(path: string): FileMd5Thread {
    // It only reads and hashes: a small young generation keeps its footprint near a bare isolate.
    const worker = new Worker(new URL('./md5-worker.js', import.meta.url), {
      workerData: path,
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
    });
    return new FileMd5Thread(worker, path);
  }

  /** Why hashing stopped, if it did. */
  get failure(): GatewayError | undefined {
    return this.failed;
  }

  /** The file's bytes up to `end` are written: hash them (in the background, in order, from the file). */
  extend(end: number): void {
    this.post({ op: 'extend', end });
  }

  /**
   * MD5 (hex) of the file's first `bytes` bytes (all of them passed to `extend`), once the worker
   * has read them; the worker then starts a new hash from byte 0.
   */
  digest(bytes: number): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pendingDigest = { resolve, reject, bytes };
      this.post({ op: 'digest' });
    });
  }

  /** Closes the worker's file and lets the thread end. */
  async close(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.worker.postMessage({ op: 'close' } satisfies Md5Request);
    }
    await this.exited;
  }

  private post(request: Md5Request): void {
    if (!this.failed && !this.stopping) this.worker.postMessage(request);
  }

  private fail(e: Error): void {
    this.failed ??= storageError(e, 'read back (to hash) the partial firmware file', this.path);
    this.pendingDigest?.reject(this.failed);
    this.pendingDigest = undefined;
  }
}
