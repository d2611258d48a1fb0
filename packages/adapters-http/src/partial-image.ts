import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { PRIVATE_FILE_MODE, type FirmwareJob, type GatewayError } from '@iotgw/domain';
import { progressMatches, readProgressFile, removeProgressFile, writeProgressFile } from './progress-file.js';
import { onDisk, storageError } from './storage-errors.js';

/** Writes are gathered up to this many bytes (less for small checkpoints) to save system calls. */
const WRITE_BATCH_BYTES = 1024 * 1024;

export interface PartialImagePaths {
  readonly part: string;
  readonly progress: string;
}

/**
 * The partially downloaded image on disk plus the running MD5 of its bytes. It owns the
 * invariant the resume relies on: the progress file's `downloaded_size` never exceeds the bytes
 * fsynced to the partial file, so a crash (even SIGKILL or power loss) resumes from good bytes.
 */
export class PartialImage {
  private hash: Hash = createHash('md5');
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

  private constructor(
    readonly job: FirmwareJob,
    readonly paths: PartialImagePaths,
    private readonly handle: FileHandle,
    private readonly checkpointBytes: number,
  ) {
    this.batchBytes = Math.max(16 * 1024, Math.min(WRITE_BATCH_BYTES, Math.floor(checkpointBytes / 4)));
  }

  /** Opens (or creates) the partial file, resuming from the progress file when it is the same image. */
  static async open(job: FirmwareJob, paths: PartialImagePaths, checkpointBytes: number): Promise<PartialImage> {
    const record = await readProgressFile(paths.progress);
    // 'r+' keeps positional writes positional (O_APPEND would ignore the offset); 'w+' creates.
    const handle = await onDisk('open the partial firmware file', paths.part, () =>
      open(paths.part, 'r+').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return open(paths.part, 'w+', PRIVATE_FILE_MODE);
        throw e;
      }),
    );
    const image = new PartialImage(job, paths, handle, checkpointBytes);
    try {
      const { size: onDiskSize } = await handle.stat();
      // Only bytes the progress file vouches for are trusted; anything after them may be torn.
      const trusted = record && progressMatches(record, job) ? Math.min(record.downloaded_size, onDiskSize) : 0;
      if (onDiskSize !== trusted) {
        await onDisk('truncate the partial firmware file', paths.part, () => handle.truncate(trusted));
      }
      if (trusted > 0) await image.rehash(trusted);
      image.written = trusted;
      image.durable = trusted;
      return image;
    } catch (e) {
      await handle.close();
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
    if (this.diskFailure) throw this.diskFailure;
    this.hash.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Double buffering: the disk writes one batch while the network fills the next.
    if (this.pendingBytes >= this.batchBytes) await this.startWrite();
    // Checkpoints start every half interval and run behind the download (fsync must not stall the
    // network); waiting for the previous one keeps un-recorded bytes under one full interval.
    if (this.bytes - this.durable >= this.checkpointBytes / 2) {
      if (this.syncing) {
        if (this.bytes - this.durable < this.checkpointBytes) return;
        await this.syncing;
      }
      await this.flush();
      this.syncing ??= this.sync()
        .catch((e: unknown) => {
          this.diskFailure ??= storageError(e, 'sync the partial firmware file', this.paths.part);
        })
        .finally(() => {
          this.syncing = undefined;
        });
    }
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
    this.hash = createHash('md5');
    await onDisk('truncate the partial firmware file', this.paths.part, () => this.handle.truncate(0));
    this.written = 0;
    this.durable = 0;
    await removeProgressFile(this.paths.progress);
  }

  /** MD5 of all bytes received; call once, when complete. */
  digest(): string {
    return this.hash.digest('hex');
  }

  async close(): Promise<void> {
    await this.settle().catch(() => undefined);
    await this.writing;
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

  /** Re-hashes the resumed bytes, so the final MD5 covers what is really on disk. */
  private async rehash(length: number): Promise<void> {
    await onDisk('read the partial firmware file', this.paths.part, async () => {
      const stream = createReadStream(this.paths.part, { start: 0, end: length - 1, highWaterMark: 1024 * 1024 });
      for await (const chunk of stream) this.hash.update(chunk as Buffer);
    });
  }
}
