import { NodeSegmentFiles, type SegmentFiles, type SegmentWriter } from '@iotgw/offline-store';

/**
 * The offline store's real segment files, with fsync held by the test: while `holdSync` is set,
 * each fsync waits for `releaseSyncs()`; `syncs` counts those that completed.
 */
export class HeldSyncFiles implements SegmentFiles {
  holdSync = false;
  syncs = 0;
  readonly #inner: NodeSegmentFiles;
  #held: Array<() => void> = [];

  constructor(dir: string) {
    this.#inner = new NodeSegmentFiles(dir);
  }

  list(): Promise<string[]> {
    return this.#inner.list();
  }

  async create(name: string): Promise<SegmentWriter> {
    const writer = await this.#inner.create(name);
    return {
      append: (chunks) => writer.append(chunks),
      sync: async () => {
        if (this.holdSync) await new Promise<void>((resolve) => this.#held.push(resolve));
        await writer.sync();
        this.syncs++;
      },
      truncate: (length) => writer.truncate(length),
      close: () => writer.close(),
    };
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
