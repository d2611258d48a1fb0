import type { SegmentFiles, SegmentWriter } from './segment-files.port.js';

/**
 * Segment files in memory: the store without a directory (tests, a gateway configured without a
 * data dir). Same format and bounds as on disk; gone with the process.
 */
export class MemorySegmentFiles implements SegmentFiles {
  readonly #files = new Map<string, Buffer[]>();

  list(): Promise<string[]> {
    return Promise.resolve([...this.#files.keys()]);
  }

  create(name: string): Promise<SegmentWriter> {
    if (this.#files.has(name)) return Promise.reject(Object.assign(new Error(`${name} exists`), { code: 'EEXIST' }));
    this.#files.set(name, []);
    return Promise.resolve(this.#writer(name));
  }

  size(name: string): Promise<number> {
    return Promise.resolve((this.#files.get(name) ?? []).reduce((n, b) => n + b.length, 0));
  }

  read(name: string, position: number, length: number): Promise<Buffer> {
    const file = this.#files.get(name) ?? [];
    const whole = file.length === 1 ? file[0]! : Buffer.concat(file);
    if (file.length > 1) this.#files.set(name, [whole]);
    return Promise.resolve(Buffer.from(whole.subarray(position, position + length)));
  }

  remove(name: string): Promise<void> {
    this.#files.delete(name);
    return Promise.resolve();
  }

  #writer(name: string): SegmentWriter {
    const files = this.#files;
    return {
      append(chunks) {
        files.get(name)?.push(...chunks.map((c) => Buffer.from(c)));
        return Promise.resolve();
      },
      sync: () => Promise.resolve(),
      truncate(length) {
        const file = files.get(name);
        if (file) files.set(name, [Buffer.concat(file).subarray(0, length)]);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
  }
}
