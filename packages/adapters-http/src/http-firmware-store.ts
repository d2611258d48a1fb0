import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FirmwareError,
  PRIVATE_DIR_MODE,
  TimeoutError,
  firmwareJob,
  percentOf,
  silentLogger,
  withDeadline,
  type Clock,
  type FirmwareImage,
  type FirmwareJob,
  type FirmwareStore,
  type Logger,
  type ObtainOptions,
  type TransferProgress,
} from '@iotgw/domain';
import { FileFirmwareImage } from './file-firmware-image.js';
import { FirmwareCache } from './firmware-cache.js';
import { downloadImage, type DownloadSettings } from './firmware-download.js';
import type { Md5Hashing } from './file-md5.js';
import { syncDirectory } from '@iotgw/durable-file';
import { removeProgressFile } from './progress-file.js';
import { onDisk } from './storage-errors.js';
import { refusedHost, type FirmwareSourceGuard } from './source-guard.js';
import { systemClock } from '@iotgw/domain';

export interface HttpFirmwareStoreOptions {
  /** The gateway's data dir; images, partials and progress files go in `<dataDir>/firmware`. */
  readonly dataDir: string;
  readonly retry?: {
    /** Failed attempts in a row without a new byte before giving up (default 5). */
    readonly attempts?: number;
    /** First backoff, doubled per failure (default 1000 ms). */
    readonly initialBackoffMs?: number;
    readonly maxBackoffMs?: number;
  };
  /** An attempt with no byte for this long is retried (default 30 000 ms). */
  readonly stallTimeoutMs?: number;
  /** Completed images kept beyond this are evicted once released (default 512 MiB). */
  readonly cacheLimitBytes?: number;
  /**
   * Progress is made durable (fsync + progress file) at most this often, in the background: a
   * crash re-downloads about this long's bytes (default 1000 ms).
   */
  readonly checkpointIntervalMs?: number;
  /**
   * Where the MD5 runs: `auto` (default) on a worker thread for images of 16 MiB or more when the
   * machine has more than one core (hashing then overlaps receiving; the thread costs ~10 MB of
   * RSS while it runs), else on the main thread. `worker` / `main-thread` force either.
   */
  readonly hashing?: Md5Hashing;
  /** Optional cap in bytes as well: checkpoint every half of it and never run more than it ahead (default none). */
  readonly checkpointBytes?: number;
  /**
   * Which local addresses downloads may reach: by default neither this machine (loopback) nor
   * link-local addresses, whether the URL names them, a host name resolves to them or a redirect
   * leads there (FirmwareError -3). Allow loopback for a firmware server on this machine.
   */
  readonly sourceGuard?: Partial<FirmwareSourceGuard>;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** One download shared by every caller waiting for the same image. */
interface SharedDownload {
  readonly done: Promise<void>;
  readonly controller: AbortController;
  readonly listeners: Set<(progress: TransferProgress) => void>;
  waiters: number;
  /** The latest progress, once the download has reported (it knows the resumed amount by then). */
  last: TransferProgress | undefined;
}

/** Progress is reported at most this often (plus every percent step and the end). */
const PROGRESS_INTERVAL_MS = 200;

/**
 * FirmwareStore over HTTP(S): streams to disk with Range resume, MD5 verification, retries with
 * backoff from the last byte, one shared download per image, and an MD5-keyed image cache.
 */
export class HttpFirmwareStore implements FirmwareStore {
  private readonly dir: string;
  private readonly settings: DownloadSettings;
  private readonly cache: FirmwareCache;
  private readonly downloads = new Map<string, SharedDownload>();
  private ready: Promise<void> | undefined;
  private readonly released = new WeakSet<FirmwareImage>();

  constructor(options: HttpFirmwareStoreOptions) {
    const logger = options.logger ?? silentLogger;
    const clock = options.clock ?? systemClock;
    this.dir = join(options.dataDir, 'firmware');
    this.settings = {
      attempts: Math.max(1, options.retry?.attempts ?? 5),
      initialBackoffMs: options.retry?.initialBackoffMs ?? 1000,
      maxBackoffMs: options.retry?.maxBackoffMs ?? 60_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 1000,
      checkpointBytes: options.checkpointBytes,
      hashing: options.hashing ?? 'auto',
      sourceGuard: { allowLoopback: options.sourceGuard?.allowLoopback ?? false, allowLinkLocal: options.sourceGuard?.allowLinkLocal ?? false },
      clock,
      logger,
    };
    this.cache = new FirmwareCache(this.dir, options.cacheLimitBytes ?? 512 * 1024 * 1024, logger, () => clock.now());
  }

  /** `timeoutMs` bounds the whole wait (default: none; stalls and the retry budget bound it anyway). */
  async obtain(input: FirmwareJob, options: ObtainOptions = {}): Promise<FirmwareImage> {
    const job = firmwareJob(input);
    const refused = refusedHost(job.url, this.settings.sourceGuard);
    if (refused) throw new FirmwareError(-3, `firmware download refused: ${refused}; the gateway's OTA settings do not allow it`);
    try {
      return await withDeadline(`obtain firmware ${job.version}`, options, 0, async (signal) => {
        await this.prepare();
        if (await this.cache.hold(job.md5, job.size)) {
          options.onProgress?.({ bytes: job.size, total: job.size, percent: 100, bytesPerSecond: 0 });
          return new FileFirmwareImage(job, this.cache.pathOf(job.md5));
        }
        await this.join(job, options.onProgress, signal);
        return new FileFirmwareImage(job, this.cache.pathOf(job.md5));
      });
    } catch (e) {
      if (e instanceof TimeoutError) {
        throw new FirmwareError(-1, `firmware ${job.version} was not obtained within ${e.timeoutMs} ms`, { cause: e });
      }
      throw e;
    }
  }

  /** Idempotent per image handed out: a second release of the same image changes nothing. */
  async release(image: FirmwareImage): Promise<void> {
    if (this.released.has(image)) return;
    this.released.add(image);
    await this.cache.release(image.md5);
  }

  /**
   * Waits for the shared download of `job` (starting it if needed), then takes a hold on the
   * cached image. `signal` fires when this caller cancels or times out; the last caller to stop
   * waiting stops the download, whose verified bytes stay on disk for the next attempt.
   */
  private async join(
    job: FirmwareJob,
    onProgress: ((progress: TransferProgress) => void) | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const running = this.downloads.get(job.md5);
    // A download every caller has left is winding down; a newcomer starts the next one after it.
    const shared = running && !running.controller.signal.aborted ? running : this.start(job, running);
    shared.waiters += 1;
    if (onProgress) {
      shared.listeners.add(onProgress);
      if (shared.last) onProgress(shared.last);
    }
    let waiting = true;
    const stopWaiting = (): void => {
      if (!waiting) return;
      waiting = false;
      shared.waiters -= 1;
      if (onProgress) shared.listeners.delete(onProgress);
    };
    const onAbort = (): void => {
      stopWaiting();
      if (shared.waiters === 0) shared.controller.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await shared.done;
    } finally {
      signal.removeEventListener('abort', onAbort);
      stopWaiting();
    }
    // This caller has already been answered with its cancellation or timeout: take no hold.
    if (signal.aborted) return;
    if (!(await this.cache.hold(job.md5, job.size))) {
      throw new FirmwareError(-1, `firmware ${job.version} was evicted before it could be handed over; raise the cache limit`);
    }
    if (signal.aborted) await this.cache.release(job.md5);
  }

  private start(job: FirmwareJob, previous: SharedDownload | undefined): SharedDownload {
    const controller = new AbortController();
    const clock = this.settings.clock;
    let startedAt = -1;
    let startBytes = 0;
    let lastReportAt = -Infinity;
    const listeners = new Set<(progress: TransferProgress) => void>();
    const report = (bytes: number): void => {
      const now = clock.now();
      if (startedAt < 0) {
        startedAt = now;
        startBytes = bytes;
      }
      const elapsed = now - startedAt;
      const progress: TransferProgress = {
        bytes,
        total: job.size,
        percent: percentOf(bytes, job.size),
        bytesPerSecond: elapsed > 0 ? Math.round(((bytes - startBytes) * 1000) / elapsed) : 0,
      };
      const due =
        bytes === startBytes ||
        bytes === job.size ||
        progress.percent !== shared.last?.percent ||
        now - lastReportAt >= PROGRESS_INTERVAL_MS;
      shared.last = progress;
      if (!due) return;
      lastReportAt = now;
      for (const listener of listeners) listener(progress);
    };
    const paths = { part: join(this.dir, `${job.md5}.part`), progress: join(this.dir, `${job.md5}.progress.json`) };
    const done = (async () => {
      try {
        // The previous download of this image still owns the partial file until it settles.
        await previous?.done.catch(() => undefined);
        await downloadImage(job, paths, this.settings, controller.signal, report);
        const target = this.cache.pathOf(job.md5);
        await onDisk('move the verified firmware into the cache', target, async () => {
          await rename(paths.part, target);
          await syncDirectory(this.dir);
        });
        await removeProgressFile(paths.progress);
        await this.cache.add(job.md5, job.size);
        this.settings.logger.info('firmware downloaded and verified', { firmware: job.version, md5: job.md5, size: job.size });
      } finally {
        if (this.downloads.get(job.md5)?.controller === controller) this.downloads.delete(job.md5);
      }
    })();
    // Waiters observe the outcome; this keeps a download nobody awaits any more from going unhandled.
    done.catch(() => undefined);
    const shared: SharedDownload = { done, controller, listeners, waiters: 0, last: undefined };
    this.downloads.set(job.md5, shared);
    return shared;
  }

  private prepare(): Promise<void> {
    this.ready ??= onDisk('create the firmware dir', this.dir, async () => {
      await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    }).catch((e: unknown) => {
      this.ready = undefined; // try again next time: the operator may fix the permissions
      throw e;
    });
    return this.ready;
  }
}
