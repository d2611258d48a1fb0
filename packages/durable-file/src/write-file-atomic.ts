import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface WriteFileAtomicOptions {
  /** Mode of the new file; default 0o600 (owner only: state and registries hold secrets). */
  readonly mode?: number;
}

let counter = 0;

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old or the new
 * content, never a torn file: write a temp file beside it (owner-only from its first byte),
 * fsync it, rename it over `path` (the rename keeps the temp's mode), then fsync the directory so
 * the rename itself is durable. A failed write removes its temp file (a full disk must not fill
 * up further with each retry). Errors are Node's own (`ENOSPC`, `EACCES`...): callers wrap them
 * in their own error kinds.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const temp = `${path}.${process.pid}.${++counter}.tmp`;
  try {
    const handle = await open(temp, 'w', options.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes renames and creations in `dir` durable; best effort where a directory cannot be opened. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
