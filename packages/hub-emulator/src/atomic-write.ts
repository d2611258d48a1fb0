import { open, rename, unlink } from 'node:fs/promises';

/**
 * Write temp + fsync + rename, so a crash never leaves a half-written registry behind. The file
 * holds device secrets, so it is readable by its owner only (rename keeps the temp file's mode).
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
