import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * `mkdir -p` that always settles. Node's `mkdir(dir, { recursive: true })` retries forever when a
 * parent exists but the child still gets ENOENT (procfs answers so for any new entry, e.g.
 * `/proc/nope`): it spins a core and never resolves. Here a child that still cannot be created
 * once its parent exists is an error, so the walk goes up and down each level at most once.
 */
export async function ensureDir(dir: string): Promise<void> {
  // The common case (the directory is there) costs one stat.
  if (await isDirectory(dir)) return;
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return existingDirectory(dir, error);
    if (codeOf(error) !== 'ENOENT' || dirname(dir) === dir) throw error;
  }
  await ensureDir(dirname(dir));
  try {
    await mkdir(dir);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return existingDirectory(dir, error);
    throw error;
  }
}

/**
 * Creates `dir` if needed and writes, fsyncs and removes a probe file in it, so an unwritable
 * directory (read-only mount, no permission, a file in the way, full disk) shows before use.
 * Throws the filesystem's error (with its `code`).
 */
export async function probeWritableDir(dir: string): Promise<void> {
  await ensureDir(dir);
  const probe = join(dir, `.write-probe.${process.pid}.tmp`);
  const handle = await open(probe, 'w');
  try {
    await handle.writeFile('probe');
    await handle.sync();
  } finally {
    await handle.close();
    // Also when the write failed (a full disk): no probe file may be left behind.
    await rm(probe, { force: true });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** EEXIST is success when a concurrent caller made the directory; a file in the way stays EEXIST. */
async function existingDirectory(dir: string, error: unknown): Promise<void> {
  if (!(await isDirectory(dir))) throw error;
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
