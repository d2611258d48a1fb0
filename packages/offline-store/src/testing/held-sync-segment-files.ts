import { MemorySegmentFiles } from '../memory-segment-files.js';
import type { SegmentFiles, SegmentWriter } from '../segment-files.port.js';

/**
 * For tests: segment files (in memory by default, or any others such as the real
 * NodeSegmentFiles) whose fsync the test holds. While `holdSync` is set, each `sync` waits until
 * `releaseSyncs()`; `syncs` counts fsyncs that completed, so a test can tell whether something
 * happened before or after the disk made it durable.
 */
export class HeldSyncSegmentFiles implements SegmentFiles {
  holdSync = false;
  syncs = 0;
  readonly #inner: SegmentFiles;
  #held: Array<() => void> = [];
  #syncStarted: Array<() => void> = [];

  constructor(inner: SegmentFiles = new MemorySegmentFiles()) {
    this.#inner = inner;
  }

  list(): Promise<string[]> {
    return this.#inner.list();
  }

  async create(name: string): Promise<SegmentWriter> {
    const writer = await this.#inner.create(name);
    return {
      append: (chunks) => writer.append(chunks),
      sync: async () => {
        for (const started of this.#syncStarted.splice(0)) started();
        if (this.holdSync) await new Promise<void>((resolve) => this.#held.push(resolve));
        await writer.sync();
        this.syncs++;
      },
      truncate: (length) => writer.truncate(length),
      close: () => writer.close(),
    };
  }

  /** Resolves when the next fsync starts. */
  nextSync(): Promise<void> {
    return new Promise((resolve) => this.#syncStarted.push(resolve));
  }

  releaseSyncs(): void {
    this.holdSync = false;
    for (const release of this.#held.splice(0)) release();
  }

  size(name: string): Promise<number> {
    return this.#inner.size(name);
  }

  read(name: string, position: number, length: number): Promise<Buffer> {
    return this.#inner.read(name, position, length);
  }

  remove(name: string): Promise<void> {
    return this.#inner.remove(name);
  }
}
