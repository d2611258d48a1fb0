import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { ManualClock } from '@iotgw/testkit';
import { OfflineStore, OfflineStoreFullError } from '../src/index.js';
import { dec, drainAll, enc, openStore, tempDir } from './helpers.js';

test('readings come back in order per key, across a restart, and acknowledged ones never again', async (t) => {
  const dir = await tempDir(t);
  const first = await OfflineStore.open({ dir });
  for (let i = 0; i < 5; i++) {
    first.append('P/a', 'P/a/data', enc(`a${i}`));
    first.append('P/b', 'P/b/data', enc(`b${i}`));
  }
  const taken = first.takeUnsent('P/a', 2);
  t.deepEqual(taken.map((r) => r.seq), [1, 3]);
  first.ack('P/a', 3); // the hub acknowledged a0 and a1
  t.is(first.stats().depth, 8);
  await first.close();

  const second = await openStore(t, { dir });
  t.is(second.stats().depth, 8);
  t.deepEqual(second.stats().held, { 'P/a': 3, 'P/b': 5 });
  const all = await drainAll(second);
  t.deepEqual(all.filter((r) => r.key === 'P/a').map((r) => r.payload), ['a2', 'a3', 'a4']);
  t.deepEqual(all.filter((r) => r.key === 'P/b').map((r) => r.payload), ['b0', 'b1', 'b2', 'b3', 'b4']);
  t.is(all.find((r) => r.payload === 'a2')?.seq, 5, 'sequence numbers survive the restart');
  // New readings continue the sequence after the recovered ones.
  t.true((second.append('P/a', 'P/a/data', enc('a5')) ?? 0) > 10);
});

test('segments are deleted as their readings are acknowledged; a fully acknowledged log holds nothing after a restart', async (t) => {
  const dir = await tempDir(t);
  const store = await OfflineStore.open({ dir, segmentBytes: 4096, maxBytes: 1024 * 1024, syncIntervalMs: 10 });
  const seqs: number[] = [];
  for (let i = 0; i < 400; i++) seqs.push(store.append('P/a', 'P/a/data', enc(`reading ${i} ${'x'.repeat(40)}`))!);
  await store.durable();
  await store.durable(); // written, then sealed by later writes
  const before = (await readdir(dir)).length;
  t.true(before > 4, `${before} segments`);
  store.takeUnsent('P/a', 400);
  for (const seq of seqs) store.ack('P/a', seq);
  await store.durable();
  await store.close();
  const after = await readdir(dir);
  t.true(after.length <= 1, `only the open segment may stay: ${after.join(',')}`);
  const again = await openStore(t, { dir });
  t.is(again.stats().depth, 0);
  t.deepEqual(await drainAll(again), []);
});

test('files are 0600 in a 0700 directory', async (t) => {
  const dir = join(await tempDir(t), 'store');
  const store = await openStore(t, { dir });
  store.append('P/a', 'P/a/data', enc('x'));
  await store.durable();
  t.is((await stat(dir)).mode & 0o777, 0o700);
  for (const name of await readdir(dir)) t.is((await stat(join(dir, name))).mode & 0o777, 0o600, name);
});

test('maxBytes with drop-oldest: the oldest readings go first, counted; order holds for what is left', async (t) => {
  const store = await openStore(t, { maxBytes: 64 * 1024, segmentBytes: 4096 });
  for (let i = 0; i < 2000; i++) store.append(`P/${i % 2}`, `P/${i % 2}/data`, enc(`${i} ${'y'.repeat(50)}`));
  const stats = store.stats();
  t.true(stats.bytes <= 64 * 1024 + 4096, `${stats.bytes} bytes`);
  t.true(stats.dropped.max_bytes > 1000);
  t.is(stats.depth + stats.dropped.max_bytes, 2000);
  const left = await drainAll(store);
  for (const key of ['P/0', 'P/1']) {
    const numbers = left.filter((r) => r.key === key).map((r) => Number(r.payload.split(' ')[0]));
    t.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    t.is(numbers[numbers.length - 1], key === 'P/0' ? 1998 : 1999, 'the newest are kept');
  }
});

test('maxBytes with drop-newest keeps the oldest; with reject the append throws a clear error', async (t) => {
  const newest = await openStore(t, { maxBytes: 64 * 1024, overflow: 'drop-newest' });
  let accepted = 0;
  for (let i = 0; i < 2000; i++) if (newest.append('P/a', 'P/a/data', enc(`${i} ${'y'.repeat(50)}`)) !== undefined) accepted++;
  t.is(newest.stats().depth, accepted);
  t.is(newest.stats().dropped.max_bytes, 2000 - accepted);
  t.is((await drainAll(newest))[0]?.payload.split(' ')[0], '0');

  const reject = await openStore(t, { maxBytes: 64 * 1024, overflow: 'reject', configPath: 'hub.offlineStore' });
  const error = t.throws(() => {
    for (let i = 0; i < 2000; i++) reject.append('P/a', 'P/a/data', enc(`${i} ${'y'.repeat(50)}`));
  }, { instanceOf: OfflineStoreFullError });
  t.is(error?.code, 'store.full');
  t.regex(error?.message ?? '', /hub\.offlineStore\.maxBytes/);
});

test('maxAgeMs: readings older than the bound are dropped and counted; oldest age is reported', async (t) => {
  const clock = new ManualClock();
  const store = await openStore(t, { clock, maxAgeMs: 10_000, syncIntervalMs: 1000 });
  store.append('P/a', 'P/a/data', enc('old'));
  await clock.advance(6_000);
  store.append('P/a', 'P/a/data', enc('new'));
  t.is(store.stats().oldestAgeMs, 6_000);
  await clock.advance(5_000);
  t.is(store.stats().dropped.max_age, 1);
  t.deepEqual((await drainAll(store)).map((r) => r.payload), ['new']);
});

test('in flight: unsendAll hands everything back in order; unsend returns what a closed gate stopped', async (t) => {
  const store = await openStore(t, {});
  for (let i = 0; i < 4; i++) store.append('P/a', 'P/a/data', enc(`${i}`));
  t.is(store.takeUnsent('P/a', 3).length, 3);
  t.is(store.unsentOf('P/a'), 1);
  store.unsend('P/a', 2);
  t.is(store.unsentOf('P/a'), 3);
  store.ack('P/a', 1);
  store.unsendAll();
  t.deepEqual(store.takeUnsent('P/a', 10).map((r) => r.seq), [2, 3, 4]);
  t.deepEqual([...store.keysWithUnsent()], []);
  t.true(store.isHeld('P/a', 2));
  t.false(store.isHeld('P/a', 1));
});

test('a reading loaded from disk does not keep the whole read alive: its payload is in a buffer of just the payloads read', async (t) => {
  const store = await openStore(t, { dir: await tempDir(t) });
  // 50 subdevices interleaved, as a gateway appends them: one key's readings lie ~50 records apart.
  for (let i = 0; i < 20; i++) for (let s = 0; s < 50; s++) store.append(`P/s${s}`, `P/s${s}/data`, enc(`{"s":${s},"i":${i},"pad":"${'x'.repeat(60)}"}`));
  await store.durable();
  const items = store.takeUnsent('P/s7', 20).map((r) => ({ key: 'P/s7', seq: r.seq }));
  const records = await store.load(items);
  t.is(records.length, 20);
  t.deepEqual(records.map((r) => (JSON.parse(dec(r.payload)) as { i: number }).i), [...Array(20).keys()]);
  const payloadBytes = records.reduce((n, r) => n + r.payload.byteLength, 0);
  // One read spans the ~950 other records between them (~100 KB); what stays alive is ~1.7 KB.
  for (const r of records) t.true(r.payload.buffer.byteLength <= payloadBytes, `payload held in a ${r.payload.buffer.byteLength}-byte buffer`);
});
