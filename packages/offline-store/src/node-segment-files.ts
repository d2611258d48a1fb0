import { chmod, mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SegmentFiles, SegmentWriter } from './segment-files.port.js';

/** Segment files in one directory on the local disk: the directory 0700, each file 0600. */
export class NodeSegmentFiles implements SegmentFiles {
  readonly #dir: string;
  #ready: Promise<void> | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** A directory that does not exist yet holds no segment (it is created with the first one). */
  async list(): Promise<string[]> {
    try {
      return await readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async create(name: string): Promise<SegmentWriter> {
    await this.#ensureDir();
    const writer = new NodeSegmentWriter(await open(join(this.#dir, name), 'wx', 0o600));
    // The new name must survive a power cut too, not only the bytes written under it.
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return writer;
  }

  async size(name: string): Promise<number> {
    return (await stat(join(this.#dir, name))).size;
  }

  async read(name: string, position: number, length: number): Promise<Buffer> {
    const handle = await open(join(this.#dir, name), 'r');
    try {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === length ? buffer : buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.#dir, name), { force: true });
  }

  /** Creates the directory 0700 (its parent must exist or be creatable). */
  #ensureDir(): Promise<void> {
    this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 }).then(
      // mkdir's mode is masked by the umask and ignored for an existing directory: set it.
      () => chmod(this.#dir, 0o700),
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }
}

class NodeSegmentWriter implements SegmentWriter {
  readonly #handle: FileHandle;
  #position: number;

  constructor(handle: FileHandle, position = 0) {
    this.#handle = handle;
    this.#position = position;
  }

  async append(chunks: readonly Buffer[]): Promise<void> {
    // Positional writes: after a failed append is truncated, the next one lands at the cut.
    let buffers = chunks.filter((c) => c.length > 0);
    while (buffers.length > 0) {
      const { bytesWritten } = await this.#handle.writev(buffers, this.#position);
      this.#position += bytesWritten;
      buffers = skip(buffers, bytesWritten);
    }
  }

  async sync(): Promise<void> {
    await this.#handle.datasync();
  }

  async truncate(length: number): Promise<void> {
    await this.#handle.truncate(length);
    this.#position = length;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** The buffers left after `bytes` of them were written (writev may write fewer than asked). */
function skip(buffers: readonly Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  let left = bytes;
  for (const b of buffers) {
    if (left >= b.length) {
      left -= b.length;
      continue;
    }
    rest.push(left > 0 ? b.subarray(left) : b);
    left = 0;
  }
  return rest;
}
