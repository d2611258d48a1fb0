import test from 'ava';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncDirectory, writeFileAtomic } from '../src/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-durable-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('replaces the whole content, owner-only by default, and leaves no temp file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  await writeFile(file, 'old content that is longer than the new one');
  await writeFileAtomic(file, '{"new":true}');
  t.is(await readFile(file, 'utf8'), '{"new":true}');
  t.is((await stat(file)).mode & 0o777, 0o600);
  t.deepEqual(await readdir(dir), ['state.json']);
  await writeFileAtomic(join(dir, 'public.bin'), new Uint8Array([1, 2, 3]), { mode: 0o644 });
  t.is((await stat(join(dir, 'public.bin'))).mode & 0o777, 0o644);
});

test('concurrent writes to one file each land whole: the file holds one of them, never a mix', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'registry.json');
  const docs = Array.from({ length: 20 }, (_, i) => JSON.stringify({ writer: i, pad: 'x'.repeat(10_000 + i) }));
  await Promise.all(docs.map((d) => writeFileAtomic(file, d)));
  t.true(docs.includes(await readFile(file, 'utf8')));
  t.deepEqual(await readdir(dir), ['registry.json']);
});

test('a write that fails (the target is a directory) keeps the old state and removes its temp file', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'taken');
  await mkdir(target);
  await writeFile(join(target, 'inside'), 'kept');
  await t.throwsAsync(writeFileAtomic(target, 'data'), { code: 'EISDIR' });
  t.deepEqual((await readdir(dir)).sort(), ['taken']);
  t.is(await readFile(join(target, 'inside'), 'utf8'), 'kept');
});

test('a missing directory is the caller\'s error (ENOENT), and syncing a missing directory is harmless', async (t) => {
  const dir = await tempDir(t);
  await t.throwsAsync(writeFileAtomic(join(dir, 'no', 'such', 'file'), 'x'), { code: 'ENOENT' });
  await t.notThrowsAsync(syncDirectory(join(dir, 'nowhere')));
});
