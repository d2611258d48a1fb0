import { NodeSegmentFiles, type SegmentFiles, type SegmentWriter } from '../src/index.js';

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
}

/**
 * Real segment files on disk that run out of space on command: while `full`, an append writes
 * half of what it was given and then fails with ENOSPC (as a filling disk does), and creating a
 * segment leaves an empty file behind and fails.
 */
export class FaultySegmentFiles implements SegmentFiles {
  full = false;
  readonly #inner: NodeSegmentFiles;

  constructor(dir: string) {
    this.#inner = new NodeSegmentFiles(dir);
  }

  list(): Promise<string[]> {
    return this.#inner.list();
  }

  async create(name: string): Promise<SegmentWriter> {
    const writer = await this.#inner.create(name);
    if (this.full) {
      await writer.close();
      throw enospc();
    }
    return {
      append: async (chunks) => {
        if (!this.full) return writer.append(chunks);
        const whole = Buffer.concat(chunks);
        await writer.append([whole.subarray(0, Math.floor(whole.length / 2))]);
        throw enospc();
      },
      sync: () => writer.sync(),
      truncate: (length) => writer.truncate(length),
      close: () => writer.close(),
    };
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
