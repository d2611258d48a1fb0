import test from 'ava';
import { ManualClock } from '@iotgw/testkit';
import { OfflineStore, OfflineStoreDroppedError } from '../src/index.js';
import { FaultySegmentFiles } from './faulty-segment-files.js';
import { HeldSyncSegmentFiles } from '../src/testing/index.js';
import { enc, openStore, tempDir } from './helpers.js';

/** Settles to 'pending' unless `promise` settled by the time the event loop turned a few times. */
async function stateOf(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  const marker = Symbol('pending');
  const raced = await Promise.race([promise.then(() => 'resolved' as const, () => 'rejected' as const), new Promise<symbol>((r) => setImmediate(() => r(marker)))]);
  return raced === marker ? 'pending' : (raced as 'resolved' | 'rejected');
}

test('whenDurable resolves only once the reading is fsynced, and soon (group commit), not at the sync interval', async (t) => {
  const files = new HeldSyncSegmentFiles();
  // A sync interval far longer than the test: only the group commit can make the reading durable.
  const store = await openStore(t, { files, syncIntervalMs: 3_600_000, groupCommitMs: 5 });
  const syncsAtOpen = files.syncs;
  files.holdSync = true;
  const started = files.nextSync();
  const seq = store.append('P/a', 'P/a/data', enc('r1'))!;
  const durable = store.whenDurable('P/a', seq);
  await started; // the group commit's fsync is under way, held by the test
  t.is(await stateOf(durable), 'pending', 'not durable while the fsync has not completed');
  files.releaseSyncs();
  await durable;
  t.is(files.syncs, syncsAtOpen + 1, 'one fsync');
});

test('readings waiting together share one fsync', async (t) => {
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, syncIntervalMs: 3_600_000, groupCommitMs: 20 });
  const syncsAtOpen = files.syncs;
  const waits = [];
  for (let i = 0; i < 50; i++) {
    const key = `P/s${i % 5}`;
    waits.push(store.whenDurable(key, store.append(key, `${key}/data`, enc(`r${i}`))!));
  }
  await Promise.all(waits);
  t.is(files.syncs, syncsAtOpen + 1);
});

test("the hub's acknowledgement makes a reading durable before any fsync", async (t) => {
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, syncIntervalMs: 3_600_000, groupCommitMs: 5 });
  files.holdSync = true;
  const seq = store.append('P/a', 'P/a/data', enc('r1'), true)!;
  const durable = store.whenDurable('P/a', seq);
  store.ack('P/a', seq);
  await durable;
  t.pass();
  files.releaseSyncs();
});

test('a reading dropped by a bound before it was durable rejects its waiter with store.dropped', async (t) => {
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, syncIntervalMs: 3_600_000, groupCommitMs: 3_600_000, maxBytes: 64 * 1024, overflow: 'drop-oldest' });
  const first = store.append('P/a', 'P/a/data', enc('x'.repeat(1000)))!;
  const waiting = store.whenDurable('P/a', first);
  for (let i = 0; i < 100; i++) store.append('P/a', 'P/a/data', enc('y'.repeat(1000)));
  const error = await t.throwsAsync(waiting, { instanceOf: OfflineStoreDroppedError });
  t.is(error?.code, 'store.dropped');
  t.regex(error?.message ?? '', /offlineStore\.maxBytes/);
});

test('while the disk refuses writes a reading is not durable; it becomes durable once the disk accepts it again', async (t) => {
  const dir = await tempDir(t);
  const files = new FaultySegmentFiles(dir);
  const store = await OfflineStore.open({ files, syncIntervalMs: 20, groupCommitMs: 5 });
  t.teardown(() => store.close());
  files.full = true;
  const seq = store.append('P/a', 'P/a/data', enc('during'))!;
  const durable = store.whenDurable('P/a', seq);
  await store.durable();
  await store.durable();
  t.truthy(store.stats().degraded);
  t.is(await stateOf(durable), 'pending');
  files.full = false;
  await durable;
  t.is(store.stats().degraded, undefined);
});

test('closing with the disk refusing the reading rejects its waiter (it is lost with the process)', async (t) => {
  const dir = await tempDir(t);
  const files = new FaultySegmentFiles(dir);
  const store = await OfflineStore.open({ files, syncIntervalMs: 20, groupCommitMs: 5 });
  files.full = true;
  const durable = store.whenDurable('P/a', store.append('P/a', 'P/a/data', enc('during'))!);
  await store.close();
  await t.throwsAsync(durable, { code: 'store.dropped' });
});

test('groupCommitMs 0: the first waiting reading is fsynced at once; those arriving during that fsync share the next one', async (t) => {
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, syncIntervalMs: 3_600_000, groupCommitMs: 0 });
  const syncsAtOpen = files.syncs;
  files.holdSync = true;
  const started = files.nextSync();
  const first = store.whenDurable('P/a', store.append('P/a', 'P/a/data', enc('first'))!);
  await started;
  const later = [];
  for (let i = 0; i < 10; i++) later.push(store.whenDurable('P/b', store.append('P/b', 'P/b/data', enc(`r${i}`))!));
  const secondStarted = files.nextSync();
  files.releaseSyncs();
  await first;
  files.holdSync = true;
  await secondStarted;
  t.is(await stateOf(Promise.all(later)), 'pending', 'the second fsync is still running');
  files.releaseSyncs();
  await Promise.all(later);
  t.is(files.syncs, syncsAtOpen + 2);
});

test('ackGraceMs: a reading sent to the hub waits that long for its acknowledgement before any fsync; acknowledged in time, it costs none', async (t) => {
  const clock = new ManualClock();
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, clock, syncIntervalMs: 3_600_000 });
  const syncsAtOpen = files.syncs;
  const seq = store.append('P/a', 'P/a/data', enc('r1'), true)!;
  const durable = store.whenDurable('P/a', seq, 5);
  await clock.advance(4);
  t.is(files.syncs, syncsAtOpen, 'no fsync while the acknowledgement may still come');
  t.is(await stateOf(durable), 'pending', 'neither fsynced nor acknowledged yet');
  store.ack('P/a', seq);
  await durable;
  await clock.advance(60);
  t.is(files.syncs, syncsAtOpen, 'acknowledged in time: never fsynced');
});

test('ackGraceMs: not acknowledged within the grace, the reading is fsynced then (and only then durable)', async (t) => {
  const clock = new ManualClock();
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, clock, syncIntervalMs: 3_600_000 });
  const syncsAtOpen = files.syncs;
  const first = store.whenDurable('P/a', store.append('P/a', 'P/a/data', enc('r1'), true)!, 5);
  await clock.advance(2);
  const second = store.whenDurable('P/a', store.append('P/a', 'P/a/data', enc('r2'), true)!, 5);
  await clock.advance(2);
  t.is(await stateOf(first), 'pending');
  t.is(files.syncs, syncsAtOpen);
  files.holdSync = true;
  const started = files.nextSync();
  await clock.advance(1); // the first reading's grace ends: one commit for both
  await started;
  t.is(await stateOf(first), 'pending', 'not durable before the fsync completed');
  files.releaseSyncs();
  await Promise.all([first, second]);
  t.is(files.syncs, syncsAtOpen + 1);
});

test('ackGraceMs: a reading held for later (no grace) is fsynced at once and takes the waiting sent ones with it', async (t) => {
  const clock = new ManualClock();
  const files = new HeldSyncSegmentFiles();
  const store = await openStore(t, { files, clock, syncIntervalMs: 3_600_000 });
  const syncsAtOpen = files.syncs;
  const sent = store.whenDurable('P/a', store.append('P/a', 'P/a/data', enc('sent'), true)!, 1000);
  const held = store.whenDurable('P/b', store.append('P/b', 'P/b/data', enc('held'))!);
  await Promise.all([sent, held]);
  t.is(files.syncs, syncsAtOpen + 1);
});
