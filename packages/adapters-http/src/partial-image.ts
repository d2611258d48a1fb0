import { open, unlink, type FileHandle } from 'node:fs/promises';
import { PRIVATE_FILE_MODE, type Clock, type FirmwareJob, type GatewayError } from '@iotgw/domain';
import { startFileMd5, type FileMd5, type Md5Hashing } from './file-md5.js';
import { progressMatches, readProgressFile, removeProgressFile, writeProgressFile } from './progress-file.js';
import { onDisk, storageError } from './storage-errors.js';

/** Writes are gathered up to this many bytes (less for small byte caps) to save system calls. */
const WRITE_BATCH_BYTES = 256 * 1024;

export interface PartialImagePaths {
  readonly part: string;
  readonly progress: string;
}

export interface CheckpointPolicy {
  /** A checkpoint starts at the first byte this long after the previous one began. */
  readonly intervalMs: number;
  /** Optional cap: also checkpoint every half of it, and never run more than it ahead of the record. */
  readonly maxBytes: number | undefined;
  readonly clock: Clock;
}

/**
 * The partially downloaded image on disk plus the running MD5 of its bytes. It owns the
 * invariant the resume relies on: the progress file's `downloaded_size` never exceeds the bytes
 * fsynced to the partial file, so a crash (even SIGKILL or power loss) resumes from good bytes.
 * The MD5 is computed from the file as batches are written (`FileMd5`; on a worker thread for
 * large images), so it covers what is really in the file and can run on another core.
 */
export class PartialImage {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private durable = 0;
  /** A checkpoint running behind the download, so fsync does not stall the network. */
  private syncing: Promise<void> | undefined;
  /** The batch being written while the next one fills (never rejects: failures go to diskFailure). */
  private writing: Promise<void> | undefined;
  private inFlight = 0;
  private diskFailure: GatewayError | undefined;
  private readonly batchBytes: number;
  private checkpointStartedAt: number;

  private constructor(
    readonly job: FirmwareJob,
    readonly paths: PartialImagePaths,
    private readonly handle: FileHandle,
    private readonly md5: FileMd5,
    private readonly policy: CheckpointPolicy,
  ) {
    const cap = policy.maxBytes;
    this.batchBytes = cap === undefined ? WRITE_BATCH_BYTES : Math.max(16 * 1024, Math.min(WRITE_BATCH_BYTES, Math.floor(cap / 4)));
    this.checkpointStartedAt = policy.clock.now();
  }

  /** Opens (or creates) the partial file, resuming from the progress file when it is the same image. */
  static async open(job: FirmwareJob, paths: PartialImagePaths, policy: CheckpointPolicy, hashing: Md5Hashing): Promise<PartialImage> {
    const record = await readProgressFile(paths.progress);
    // 'r+' keeps positional writes positional (O_APPEND would ignore the offset); 'w+' creates.
    const handle = await onDisk('open the partial firmware file', paths.part, () =>
      open(paths.part, 'r+').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return open(paths.part, 'w+', PRIVATE_FILE_MODE);
        throw e;
      }),
    );
    const image = new PartialImage(job, paths, handle, startFileMd5(paths.part, job.size, hashing), policy);
    try {
      const { size: onDiskSize } = await handle.stat();
      // Only bytes the progress file vouches for are trusted; anything after them may be torn.
      const trusted = record && progressMatches(record, job) ? Math.min(record.downloaded_size, onDiskSize) : 0;
      if (onDiskSize !== trusted) {
        await onDisk('truncate the partial firmware file', paths.part, () => handle.truncate(trusted));
      }
      // The resumed bytes are hashed from the file like the rest, so the MD5 covers what is on disk.
      if (trusted > 0) image.md5.extend(trusted);
      image.written = trusted;
      image.durable = trusted;
      return image;
    } catch (e) {
      await image.close();
      throw e;
    }
  }

  /** Bytes received so far (not necessarily durable yet). */
  get bytes(): number {
    return this.written + this.inFlight + this.pendingBytes;
  }

  /** Bytes fsynced and recorded in the progress file. */
  get durableBytes(): number {
    return this.durable;
  }

  async append(chunk: Buffer): Promise<void> {
    const failure = this.diskFailure ?? this.md5.failure;
    if (failure) throw failure;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Double buffering: the disk writes one batch while the network fills the next.
    if (this.pendingBytes >= this.batchBytes) await this.startWrite();
    await this.checkpointIfDue();
  }

  /**
   * Checkpoints run in the background (fsync must not stall the network): one starts at the first
   * byte `intervalMs` after the previous one began, so a crash loses about one interval's bytes.
   * With a byte cap, also every half cap, and the download waits rather than run a cap ahead.
   */
  private async checkpointIfDue(): Promise<void> {
    const cap = this.policy.maxBytes;
    const ahead = (): number => this.bytes - this.durable;
    if (this.syncing) {
      if (cap === undefined || ahead() < cap) return;
      await this.syncing;
    }
    const now = this.policy.clock.now();
    if (now - this.checkpointStartedAt < this.policy.intervalMs && (cap === undefined || ahead() < cap / 2)) return;
    this.checkpointStartedAt = now;
    await this.flush();
    this.syncing ??= this.sync()
      .catch((e: unknown) => {
        this.diskFailure ??= storageError(e, 'sync the partial firmware file', this.paths.part);
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /** Makes every received byte durable and records it in the progress file. */
  async checkpoint(): Promise<void> {
    await this.settle();
    await this.flush();
    await this.sync();
  }

  /** fsync, then record the bytes that were written before it began (never more). */
  private async sync(): Promise<void> {
    const upTo = this.written;
    if (upTo === this.durable) return;
    await onDisk('sync the partial firmware file', this.paths.part, () => this.handle.datasync());
    await writeProgressFile(this.paths.progress, {
      version: this.job.version,
      downloaded_size: upTo,
      url: this.job.url,
      md5: this.job.md5,
      size: this.job.size,
    });
    this.durable = Math.max(this.durable, upTo);
  }

  /** Waits for a background checkpoint; its failure surfaces here (or in the next checkpoint). */
  private async settle(): Promise<void> {
    if (this.syncing) await this.syncing;
    if (this.diskFailure) throw this.diskFailure;
  }

  /** Throws away everything (the server restarted from byte 0, or the bytes are not the image). */
  async restart(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.writing;
    this.pending = [];
    this.pendingBytes = 0;
    // Waits until the worker has read every byte it was told about (the file is about to be
    // truncated) and starts a new hash; a failed worker surfaces at the next append.
    await this.md5.digest(this.written).catch(() => undefined);
    await onDisk('truncate the partial firmware file', this.paths.part, () => this.handle.truncate(0));
    this.written = 0;
    this.durable = 0;
    await removeProgressFile(this.paths.progress);
  }

  /** MD5 of all bytes received (as written to the file); call once, when complete and checkpointed. */
  async digest(): Promise<string> {
    await this.flush();
    return this.md5.digest(this.written);
  }

  async close(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.writing;
    await this.md5.close();
    await this.handle.close();
  }

  /** Removes the partial file and its progress record (after an MD5 mismatch). */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await unlink(this.paths.part).catch(() => undefined);
    await removeProgressFile(this.paths.progress);
  }

  /** Waits for the previous batch, then starts writing the pending bytes without waiting. */
  private async startWrite(): Promise<void> {
    await this.writing;
    if (this.diskFailure) throw this.diskFailure;
    if (this.pendingBytes === 0) return;
    const buffers = this.pending;
    const length = this.pendingBytes;
    const position = this.written;
    this.pending = [];
    this.pendingBytes = 0;
    this.inFlight = length;
    this.writing = this.writeAt(buffers, length, position).then(
      () => {
        this.written += length;
        this.inFlight = 0;
        this.md5.extend(this.written, buffers);
      },
      (e: unknown) => {
        this.diskFailure ??= storageError(e, 'write the partial firmware file', this.paths.part);
      },
    );
  }

  /** Every received byte written (not necessarily synced). */
  private async flush(): Promise<void> {
    await this.startWrite();
    await this.writing;
    if (this.diskFailure) throw this.diskFailure;
  }

  private async writeAt(buffers: Buffer[], length: number, position: number): Promise<void> {
    let done = 0;
    let rest = buffers;
    while (done < length) {
      const { bytesWritten } = await this.handle.writev(rest, position + done);
      done += bytesWritten;
      if (done < length) rest = [Buffer.concat(rest).subarray(bytesWritten)];
    }
  }
}
