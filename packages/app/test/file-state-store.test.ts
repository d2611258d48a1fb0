import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, readdir, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
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

test('a put that fails mid-write leaves no temp file and the old document in place', async (t) => {
  const dir = await tempDir(t);
  const store = new FileStateStore(dir);
  await store.put('ota/abc', { n: 1 });
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic; // fails while writing, after the temp file was created (as a full disk does)
  for (let i = 0; i < 3; i++) await t.throwsAsync(store.put('ota/abc', cyclic as never));
  t.deepEqual(await readdir(join(dir, 'ota')), ['abc.json']);
  t.deepEqual(await store.get('ota/abc'), { n: 1 });
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

/** The outcome of `promise`, or 'pending' if it has not settled after `ms` (a spin never settles). */
async function settled(promise: Promise<unknown>, ms: number): Promise<{ code?: unknown } | 'ok' | 'pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([promise.then(() => 'ok' as const, (error: unknown) => error as { code?: unknown }), late]);
  } finally {
    clearTimeout(timer);
  }
}

// procfs answers ENOENT for any new entry although the parent exists: node's recursive mkdir then
// retries forever at 100% CPU and never settles, which hung `iotgw start`'s stop.
test('a put where directories can never be created (procfs) rejects instead of spinning', async (t) => {
  const store = new FileStateStore('/proc/iotgw-no-such-dir/state');
  const outcome = await settled(store.put('mqtt/outbox/gw', []), 5_000);
  t.not(outcome, 'pending', 'the put never settled');
  t.like(outcome, { code: 'ENOENT' });
});

test('a put into a data dir that now points at procfs (disk swapped while running) rejects', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'real'));
  await symlink(join(dir, 'real'), join(dir, 'data'));
  const store = new FileStateStore(join(dir, 'data', 'state'));
  await store.put('mqtt/outbox/gw', []);
  await rm(join(dir, 'data'));
  await symlink('/proc', join(dir, 'data'));
  const outcome = await settled(store.put('mqtt/outbox/gw', []), 5_000);
  t.not(outcome, 'pending', 'the put never settled');
  t.like(outcome, { code: 'ENOENT' });
});

test('a put where a file is in the way rejects; a concurrent creation of the same dirs is fine', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'file'), 'x');
  await t.throwsAsync(new FileStateStore(join(dir, 'file')).put('a/b', 1), { code: 'ENOTDIR' });
  await writeFile(join(dir, 'ota'), 'x');
  await t.throwsAsync(new FileStateStore(dir).put('ota/b', 1), { code: 'EEXIST' });
  const store = new FileStateStore(join(dir, 'deep', 'er'));
  await Promise.all(['x/y/a', 'x/y/b', 'x/z/c'].map((key, i) => store.put(key, i)));
  t.deepEqual(await store.list(''), ['x/y/a', 'x/y/b', 'x/z/c']);
});
