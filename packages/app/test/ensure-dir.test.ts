import test from 'ava';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeWritableDir } from '../src/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-probe-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('probeWritableDir creates the missing dirs and leaves nothing behind', async (t) => {
  const dir = await tempDir(t);
  await probeWritableDir(join(dir, 'a', 'b'));
  t.deepEqual(await readdir(join(dir, 'a', 'b')), []);
  await probeWritableDir(join(dir, 'a', 'b'));
});

test('probeWritableDir rejects with the filesystem code when the dir cannot be made or written', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'file'), 'x');
  await t.throwsAsync(probeWritableDir(join(dir, 'file', 'data')), { code: 'ENOTDIR' });
  await t.throwsAsync(probeWritableDir(join(dir, 'file')), { code: 'EEXIST' });
  await t.throwsAsync(probeWritableDir('/proc/iotgw-probe'), { code: 'ENOENT' });
  // Root may write almost anywhere, but not into procfs's existing directories.
  await t.throwsAsync(probeWritableDir('/proc'));
});
