import test from 'ava';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore, probeWritableDir, tightenPrivateTree } from '../src/index.js';

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

test('directories made by ensureDir and files written by FileStateStore are owner-only', async (t) => {
  const dir = await tempDir(t);
  const store = new FileStateStore(join(dir, 'data', 'state'));
  await store.put('ota/abc', { phase: 'downloading', url: 'https://fw.example/a.bin?sign=secret' });
  await store.put('ota/abc', { phase: 'downloaded' }); // a rewrite keeps it private
  for (const d of [join(dir, 'data'), join(dir, 'data', 'state'), join(dir, 'data', 'state', 'ota')]) {
    t.is((await stat(d)).mode & 0o777, 0o700, d);
  }
  t.is((await stat(join(dir, 'data', 'state', 'ota', 'abc.json'))).mode & 0o777, 0o600);
});

test('tightenPrivateTree makes a data dir left readable by an older version owner-only, without following links', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'data');
  await mkdir(join(data, 'state', 'ota'), { recursive: true, mode: 0o755 });
  await writeFile(join(data, 'state', 'ota', 'abc.json'), '{}', { mode: 0o644 });
  await writeFile(join(dir, 'outside'), 'x', { mode: 0o644 });
  await symlink(join(dir, 'outside'), join(data, 'link'));
  await chmod(data, 0o755);
  t.is(await tightenPrivateTree(data), 4, 'data, state, ota, abc.json');
  t.is((await stat(data)).mode & 0o777, 0o700);
  t.is((await stat(join(data, 'state', 'ota'))).mode & 0o777, 0o700);
  t.is((await stat(join(data, 'state', 'ota', 'abc.json'))).mode & 0o777, 0o600);
  t.is((await stat(join(dir, 'outside'))).mode & 0o777, 0o644, 'a link is not followed out of the data dir');
  t.is(await tightenPrivateTree(data), 0, 'nothing left to change');
});
