import { chmod, lstat, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '@iotgw/domain';

/**
 * `mkdir -p` that always settles; directories it creates are owner-only (0700). Node's `mkdir(dir, { recursive: true })` retries forever when a
 * parent exists but the child still gets ENOENT (procfs answers so for any new entry, e.g.
 * `/proc/nope`): it spins a core and never resolves. Here a child that still cannot be created
 * once its parent exists is an error, so the walk goes up and down each level at most once.
 */
export async function ensureDir(dir: string): Promise<void> {
  // The common case (the directory is there) costs one stat.
  if (await isDirectory(dir)) return;
  try {
    await mkdir(dir, PRIVATE_DIR_MODE);
    return;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return existingDirectory(dir, error);
    if (codeOf(error) !== 'ENOENT' || dirname(dir) === dir) throw error;
  }
  await ensureDir(dirname(dir));
  try {
    await mkdir(dir, PRIVATE_DIR_MODE);
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
  const handle = await open(probe, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile('probe');
    await handle.sync();
  } finally {
    await handle.close();
    // Also when the write failed (a full disk): no probe file may be left behind.
    await rm(probe, { force: true });
  }
}

/**
 * Makes `dir` and everything under it owner-only (directories 0700, files 0600) where it is
 * looser, e.g. a data dir written by an older version with 0755/0644. Symlinks are not followed;
 * what this user may not change is left (and not counted). Resolves with how many entries changed.
 */
export async function tightenPrivateTree(dir: string): Promise<number> {
  let changed = 0;
  const visit = async (path: string): Promise<void> => {
    let info;
    try {
      info = await lstat(path);
    } catch {
      return;
    }
    if (info.isSymbolicLink()) return;
    const wanted = info.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    if ((info.mode & 0o077) !== 0) {
      try {
        await chmod(path, wanted);
        changed++;
      } catch {
        /* not ours to change */
      }
    }
    if (!info.isDirectory()) return;
    const entries = await readdir(path).catch(() => [] as string[]);
    for (const name of entries) await visit(join(path, name));
  };
  await visit(dir);
  return changed;
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
