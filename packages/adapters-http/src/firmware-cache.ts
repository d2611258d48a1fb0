import { readdir, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@iotgw/domain';

interface CachedImage {
  readonly path: string;
  readonly size: number;
  lastUsed: number;
  /** Breaks ties between uses in the same millisecond. */
  useOrder: number;
  holders: number;
}

/**
 * Completed images in the data dir, keyed by MD5, with a size limit. Images still held by a caller
 * are never evicted; released ones go least recently used first. Last use is kept as the file's
 * mtime, so the order survives a restart.
 */
export class FirmwareCache {
  private readonly images = new Map<string, CachedImage>();
  private loaded: Promise<void> | undefined;
  private uses = 0;

  constructor(
    private readonly dir: string,
    private readonly limitBytes: number,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  pathOf(md5: string): string {
    return join(this.dir, `${md5}.bin`);
  }

  /** Takes a hold on a cached image; false when it is not cached. */
  async hold(md5: string, size: number): Promise<boolean> {
    await this.load();
    const image = this.images.get(md5);
    if (!image || image.size !== size) return false;
    image.holders += 1;
    this.touch(md5, image);
    await this.evict();
    return true;
  }

  /**
   * Adds a just-verified image, unheld and newest. Eviction waits for the next hold or release,
   * so the callers waiting for it can take their holds first.
   */
  async add(md5: string, size: number): Promise<void> {
    await this.load();
    this.images.set(md5, { path: this.pathOf(md5), size, lastUsed: this.now(), useOrder: ++this.uses, holders: 0 });
  }

  async release(md5: string): Promise<void> {
    const image = this.images.get(md5);
    if (!image || image.holders === 0) return;
    image.holders -= 1;
    // Released counts as used: the image a subdevice just finished with is the likeliest next.
    image.lastUsed = this.now();
    image.useOrder = ++this.uses;
    await this.evict();
  }

  totalBytes(): number {
    let total = 0;
    for (const image of this.images.values()) total += image.size;
    return total;
  }

  private touch(md5: string, image: CachedImage): void {
    image.lastUsed = this.now();
    image.useOrder = ++this.uses;
    const seconds = image.lastUsed / 1000;
    // Best effort: the order is only a hint for eviction after a restart.
    utimes(image.path, seconds, seconds).catch((e: unknown) => {
      this.logger.debug('could not touch cached firmware', { md5, reason: String(e) });
    });
  }

  private async evict(): Promise<void> {
    let total = this.totalBytes();
    if (total <= this.limitBytes) return;
    const candidates = [...this.images.entries()]
      .filter(([, image]) => image.holders === 0)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.useOrder - b.useOrder);
    for (const [md5, image] of candidates) {
      if (total <= this.limitBytes) break;
      this.images.delete(md5);
      total -= image.size;
      await unlink(image.path).catch(() => undefined);
      this.logger.info('evicted cached firmware', { md5, size: image.size });
    }
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const names = await readdir(this.dir).catch(() => [] as string[]);
      for (const name of names) {
        const match = /^([0-9a-f]{32})\.bin$/.exec(name);
        if (!match?.[1]) continue;
        const path = join(this.dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info) this.images.set(match[1], { path, size: info.size, lastUsed: info.mtimeMs, useOrder: 0, holders: 0 });
      }
    })();
    return this.loaded;
  }
}
