import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateCorruptError, ValidationError } from '@iotgw/domain';
import { FileStateStore } from '../src/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-state-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('put then get returns the document; a missing key is undefined', async (t) => {
  const store = new FileStateStore(await tempDir(t));
  t.is(await store.get('ota/abc'), undefined);
  await store.put('ota/abc', { phase: 'downloading', percent: 40, list: [1, null, 'x'] });
  t.deepEqual(await store.get('ota/abc'), { phase: 'downloading', percent: 40, list: [1, null, 'x'] });
});

test('a put replaces atomically and leaves no temp file behind', async (t) => {
  const dir = await tempDir(t);
  const store = new FileStateStore(dir);
  await store.put('ota/abc', { n: 1 });
  await store.put('ota/abc', { n: 2 });
  await Promise.all([store.put('ota/abc', { n: 3 }), store.put('ota/abc', { n: 4 })]);
  t.deepEqual(await readdir(join(dir, 'ota')), ['abc.json']);
  t.true([3, 4].includes(((await store.get('ota/abc')) as { n: number }).n));
});

test('list returns keys with the prefix in lexical order, across folders; delete removes', async (t) => {
  const store = new FileStateStore(await tempDir(t));
  t.deepEqual(await store.list('ota/'), [], 'empty before the directory exists');
  await store.put('ota/b', 1);
  await store.put('ota/a', 2);
  await store.put('link/x/session', 3);
  t.deepEqual(await store.list('ota/'), ['ota/a', 'ota/b']);
  t.deepEqual(await store.list(''), ['link/x/session', 'ota/a', 'ota/b']);
  await store.delete('ota/a');
  await store.delete('ota/never-there');
  t.deepEqual(await store.list('ota/'), ['ota/b']);
});

test('bad keys are refused with ValidationError; a torn file is StateCorruptError', async (t) => {
  const dir = await tempDir(t);
  const store = new FileStateStore(dir);
  await t.throwsAsync(store.put('../escape', 1), { instanceOf: ValidationError });
  await t.throwsAsync(store.get('UPPER'), { instanceOf: ValidationError });
  await mkdir(join(dir, 'ota'), { recursive: true });
  await writeFile(join(dir, 'ota', 'torn.json'), '{"phase": "downl');
  await t.throwsAsync(store.get('ota/torn'), { instanceOf: StateCorruptError, message: /ota\/torn/ });
});

test('every call honours an aborted signal', async (t) => {
  const store = new FileStateStore(await tempDir(t));
  const signal = AbortSignal.abort();
  for (const call of [store.get('a', { signal }), store.put('a', 1, { signal }), store.delete('a', { signal }), store.list('', { signal })]) {
    await t.throwsAsync(call, { message: /cancelled/ });
  }
});
