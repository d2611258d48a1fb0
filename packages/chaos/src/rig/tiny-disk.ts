import { execFile } from 'node:child_process';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A small filesystem the rig can fill: a tmpfs of `sizeKb` (needs root / CAP_SYS_ADMIN), else a
 * loop-mounted ext2 image. `mount()` says why neither worked instead of throwing, so the
 * scenario is skipped with that reason, never silently.
 */
export class TinyDisk {
  #mounted = false;
  #filler: string;

  constructor(
    readonly mountPoint: string,
    private readonly sizeKb: number,
  ) {
    this.#filler = join(mountPoint, 'filler');
  }

  /** Undefined when mounted; otherwise why it could not be. */
  async mount(): Promise<string | undefined> {
    await mkdir(this.mountPoint, { recursive: true });
    const reasons: string[] = [];
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${this.sizeKb}k,mode=0700`, 'tmpfs', this.mountPoint]);
      this.#mounted = true;
      return undefined;
    } catch (error) {
      reasons.push(`mount -t tmpfs: ${firstLine(error)}`);
    }
    const image = `${this.mountPoint}.img`;
    try {
      await run('dd', ['if=/dev/zero', `of=${image}`, 'bs=1024', `count=${this.sizeKb}`]);
      await run('mkfs.ext2', ['-q', '-F', image]);
      await run('mount', ['-o', 'loop', image, this.mountPoint]);
      this.#mounted = true;
      return undefined;
    } catch (error) {
      reasons.push(`loop-mounted ext2: ${firstLine(error)}`);
      await rm(image, { force: true });
    }
    return `no small filesystem could be mounted here (${reasons.join('; ')})`;
  }

  /** Writes a filler file until the disk refuses (ENOSPC); returns the bytes written. */
  async fill(): Promise<number> {
    const file = await open(this.#filler, 'a');
    const block = Buffer.alloc(4096, 0x55);
    let written = 0;
    try {
      for (;;) {
        const { bytesWritten } = await file.write(block);
        written += bytesWritten;
        if (bytesWritten < block.length) break;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      await file.close().catch(() => undefined);
    }
    return written;
  }

  async free(): Promise<void> {
    await rm(this.#filler, { force: true });
  }

  /** Files whose name ends in `.tmp` anywhere under `dir` (left behind by failed atomic writes). */
  static async tempFiles(dir: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const full = join(d, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.name.endsWith('.tmp')) out.push(full);
      }
    };
    await walk(dir);
    return out;
  }

  async unmount(): Promise<void> {
    if (!this.#mounted) return;
    this.#mounted = false;
    // Lazy: a process still holding a file there must not keep the mount alive after the run.
    await run('umount', ['-l', this.mountPoint]).catch(() => undefined);
    await rm(`${this.mountPoint}.img`, { force: true });
  }
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim().split('\n')[0] ?? 'failed';
}
