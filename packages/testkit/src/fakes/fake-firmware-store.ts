import { createHash } from 'node:crypto';
import {
  CancelledError,
  FirmwareError,
  firmwareJob,
  percentOf,
  ValidationError,
  withDeadline,
  type CallOptions,
  type FirmwareImage,
  type FirmwareJob,
  type FirmwareStore,
  type ObtainOptions,
  type OtaFailCode,
  type TransferProgress,
} from '@iotgw/domain';

export interface FakeFirmwareStoreOptions {
  /** How many progress steps a full download takes (default 4). */
  readonly steps?: number;
  /** Default for ObtainOptions.timeoutMs (default 10 min). */
  readonly defaultTimeoutMs?: number;
}

/** Where a download started: `from` > 0 means it resumed. */
export interface DownloadStart {
  readonly url: string;
  readonly from: number;
}

interface Waiter {
  readonly onProgress: ((p: TransferProgress) => void) | undefined;
}

interface Download {
  readonly key: string;
  readonly job: FirmwareJob;
  readonly waiters: Set<Waiter>;
  received: number;
  abandoned: boolean;
  promise: Promise<Uint8Array>;
}

interface Held {
  readonly bytes: Uint8Array;
  holders: number;
}

/**
 * A FirmwareStore serving images from memory. It behaves like a resumable downloader: bytes
 * arrive in a few steps, a failed or abandoned download keeps what it had, concurrent obtains
 * share one download. Images stay cached until every obtained handle is released.
 */
export class FakeFirmwareStore implements FirmwareStore {
  /** Completed or started downloads per URL (a shared or cached obtain does not count). */
  readonly downloads = new Map<string, number>();
  readonly starts: DownloadStart[] = [];
  /** Handles released so far (idempotent per handle). */
  releases = 0;

  readonly #images = new Map<string, Uint8Array>();
  readonly #forbidden = new Set<string>();
  readonly #partial = new Map<string, number>();
  readonly #active = new Map<string, Download>();
  readonly #held = new Map<string, Held>();
  readonly #steps: number;
  readonly #defaultTimeoutMs: number;
  #failNext: { code: OtaFailCode; message: string } | undefined;
  #interruptAt: { bytes: number; code: OtaFailCode } | undefined;
  #pauseAt: number | undefined;
  #paused: { at: number; release: () => void } | undefined;
  #pauseWaiters: Array<() => void> = [];

  constructor(options: FakeFirmwareStoreOptions = {}) {
    this.#steps = Math.max(1, options.steps ?? 4);
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? 600_000;
  }

  /** Serves `bytes` at `url`; returns a job describing it (md5 and size computed). */
  addImage(url: string, bytes: Uint8Array | string, version = '1.0.0'): FirmwareJob {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes);
    this.#images.set(url, data);
    return firmwareJob({ version, url, md5: md5Hex(data), size: data.length });
  }

  /** The URL answers 403 (-3), like an expired presigned URL. */
  forbid(url: string): void {
    this.#forbidden.add(url);
  }

  /** The URL now answers 404 (-2). */
  removeImage(url: string): void {
    this.#images.delete(url);
  }

  obtain(job: FirmwareJob, options: ObtainOptions = {}): Promise<FirmwareImage> {
    return withDeadline(`firmware download ${job.version}`, options, this.#defaultTimeoutMs, async (signal) => {
      const key = keyOf(job);
      const held = this.#held.get(key);
      if (held) {
        held.holders++;
        options.onProgress?.(progress(job.size, job.size));
        return this.#handle(job, key, held.bytes);
      }
      const download = this.#active.get(key) ?? this.#start(job, key);
      const waiter: Waiter = { onProgress: options.onProgress };
      download.waiters.add(waiter);
      waiter.onProgress?.(progress(download.received, job.size));
      const leave = (): void => {
        download.waiters.delete(waiter);
        // The last caller gone: stop the download, keeping what arrived for the next obtain.
        if (download.waiters.size === 0) {
          download.abandoned = true;
          this.#forget(download);
        }
      };
      signal.addEventListener('abort', leave, { once: true });
      try {
        const bytes = await download.promise;
        const entry = this.#held.get(key) ?? { bytes, holders: 0 };
        entry.holders++;
        this.#held.set(key, entry);
        return this.#handle(job, key, bytes);
      } finally {
        signal.removeEventListener('abort', leave);
        download.waiters.delete(waiter);
      }
    });
  }

  release(image: FirmwareImage): Promise<void> {
    if (image instanceof FakeImage && !image.released) {
      image.released = true;
      this.releases++;
      const held = this.#held.get(image.key);
      if (held && --held.holders <= 0) this.#held.delete(image.key);
    }
    return Promise.resolve();
  }

  // --- test controls ---

  /** The next download fails at once with FirmwareError(code). */
  failNext(code: OtaFailCode, message = `injected failure ${code}`): void {
    this.#failNext = { code, message };
  }

  /** The next download breaks after `bytes` bytes (like a dropped connection): FirmwareError(code, default -1). */
  interruptAt(bytes: number, code: OtaFailCode = -1): void {
    this.#interruptAt = { bytes, code };
  }

  /** The next download stops after `bytes` bytes until `resume()`; `whenPaused()` tells when. */
  pauseAt(bytes: number): void {
    this.#pauseAt = bytes;
  }

  /** Resolves once a download is held by `pauseAt`. */
  whenPaused(): Promise<number> {
    const paused = this.#paused;
    if (paused) return Promise.resolve(paused.at);
    return new Promise((resolve) => this.#pauseWaiters.push(() => resolve(this.#paused?.at ?? 0)));
  }

  resume(): void {
    const paused = this.#paused;
    this.#paused = undefined;
    paused?.release();
  }

  /** Bytes kept from an unfinished download of `job` (what the next obtain resumes from). */
  partialBytes(job: FirmwareJob): number {
    return this.#partial.get(keyOf(job)) ?? 0;
  }

  /** Cached images (obtained and not yet released by every holder). */
  get cached(): number {
    return this.#held.size;
  }

  // --- internals ---

  #start(job: FirmwareJob, key: string): Download {
    const download: Download = {
      key,
      job,
      waiters: new Set(),
      received: this.#partial.get(key) ?? 0,
      abandoned: false,
      promise: Promise.resolve(new Uint8Array()),
    };
    this.downloads.set(job.url, (this.downloads.get(job.url) ?? 0) + 1);
    this.starts.push({ url: job.url, from: download.received });
    this.#active.set(key, download);
    download.promise = this.#run(download).finally(() => this.#forget(download));
    // Nobody may be waiting when it fails (every caller left); the failure is kept as state.
    download.promise.catch(() => undefined);
    return download;
  }

  async #run(download: Download): Promise<Uint8Array> {
    const { job, key } = download;
    const failure = this.#failNext;
    this.#failNext = undefined;
    await turn();
    if (failure) throw new FirmwareError(failure.code, failure.message, { details: { url: job.url } });
    if (this.#forbidden.has(job.url)) throw new FirmwareError(-3, `firmware URL ${job.url} is forbidden (HTTP 403): expired signature?`);
    const source = this.#images.get(job.url);
    if (!source) throw new FirmwareError(-2, `firmware not found at ${job.url} (HTTP 404)`, { details: { url: job.url } });
    const total = source.length;
    const step = Math.max(1, Math.ceil(total / this.#steps));
    const interrupt = this.#interruptAt;
    this.#interruptAt = undefined;
    let pauseAt = this.#pauseAt;
    this.#pauseAt = undefined;
    while (download.received < total) {
      let next = Math.min(total, download.received + step);
      if (interrupt && download.received < interrupt.bytes) next = Math.min(next, interrupt.bytes);
      if (pauseAt !== undefined && download.received < pauseAt) next = Math.min(next, pauseAt);
      await turn();
      if (download.abandoned) throw this.#keep(download, new CancelledError(`firmware download ${job.version}`));
      download.received = next;
      if (this.#active.get(key) === download) this.#partial.set(key, next);
      this.#emit(download, total);
      if (interrupt && download.received >= interrupt.bytes && download.received < total) {
        throw this.#keep(download, new FirmwareError(interrupt.code, `download of ${job.url} broke at byte ${next}`));
      }
      if (pauseAt !== undefined && download.received >= pauseAt) {
        pauseAt = undefined;
        await new Promise<void>((release) => {
          this.#paused = { at: next, release };
          for (const wake of this.#pauseWaiters.splice(0)) wake();
        });
      }
    }
    this.#partial.delete(key);
    if (total !== job.size || md5Hex(source) !== job.md5) {
      throw new FirmwareError(-4, `firmware at ${job.url} does not match the job: md5 ${md5Hex(source)} size ${total}, expected md5 ${job.md5} size ${job.size}`);
    }
    return source;
  }

  #forget(download: Download): void {
    if (this.#active.get(download.key) === download) this.#active.delete(download.key);
  }

  #keep(download: Download, error: Error): Error {
    // An abandoned download may have been superseded by a newer one that owns the partial bytes now.
    const current = this.#active.get(download.key);
    if (current === undefined || current === download) this.#partial.set(download.key, download.received);
    return error;
  }

  #emit(download: Download, total: number): void {
    const p = progress(download.received, total);
    for (const w of [...download.waiters]) w.onProgress?.(p);
  }

  #handle(job: FirmwareJob, key: string, bytes: Uint8Array): FirmwareImage {
    return new FakeImage(job, key, bytes);
  }
}

class FakeImage implements FirmwareImage {
  readonly size: number;
  readonly md5: string;
  released = false;
  constructor(
    readonly job: FirmwareJob,
    readonly key: string,
    readonly bytes: Uint8Array,
  ) {
    this.size = bytes.length;
    this.md5 = job.md5;
  }

  read(offset: number, length: number, options: CallOptions = {}): Promise<Uint8Array> {
    if (options.signal?.aborted) return Promise.reject(new CancelledError('firmware read', { cause: options.signal.reason }));
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.size || !Number.isSafeInteger(length) || length < 0) {
      return Promise.reject(new ValidationError(`read(${offset}, ${length}) is outside the image of ${this.size} bytes`));
    }
    return Promise.resolve(this.bytes.slice(offset, Math.min(this.size, offset + length)));
  }
}

export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

function keyOf(job: FirmwareJob): string {
  return `${job.url}#${job.md5}`;
}

function progress(bytes: number, total: number): TransferProgress {
  return { bytes, total, percent: percentOf(bytes, total), bytesPerSecond: 0 };
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
