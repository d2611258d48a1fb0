import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { NodeSegmentFiles } from '@iotgw/offline-store';
import { HeldSyncSegmentFiles } from '@iotgw/offline-store/testing';
import { SUB_A, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function heldFiles(t: ExecutionContext): Promise<HeldSyncSegmentFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-durable-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return new HeldSyncSegmentFiles(new NodeSegmentFiles(dir));
}

/** 'pending' unless `promise` settled within a few turns of the event loop. */
async function settledYet(promise: Promise<unknown>, turns = 20): Promise<'resolved' | 'rejected' | 'pending'> {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  for (let i = 0; i < turns && state === 'pending'; i++) await new Promise((r) => setTimeout(r, 5));
  return state;
}

test('hub down: a QoS 1 publish resolves only once the offline store has fsynced the reading (group commit), not before', async (t) => {
  const { makeTransport } = await rig(t);
  const files = await heldFiles(t);
  // A sync interval far longer than the test: only the group commit can make it durable.
  const transport = makeTransport({ offlineStore: { files, syncIntervalMs: 3_600_000, groupCommitMs: 5 } });
  // Never connected (the hub is unreachable as far as this transport knows): the reading is held.
  await transport.publishData(SUB_A, 'data', enc('warm-up')); // the store is open and its first segment made
  files.holdSync = true;
  const syncs = files.syncs;
  const published = transport.publishData(SUB_A, 'data', enc('r1'));
  t.is(await settledYet(published), 'pending', 'resolved before the reading was fsynced: a kill -9 now would lose a reading the caller took as safe');
  files.releaseSyncs();
  await published;
  t.is(files.syncs, syncs + 1);
  t.is(transport.uplinkBacklog()?.depth, 2);
});

test("hub up: a QoS 1 publish resolves on the hub's PUBACK even while the store's fsync is held", async (t) => {
  const { makeTransport, hub } = await rig(t);
  const files = await heldFiles(t);
  const transport = makeTransport({ offlineStore: { files, syncIntervalMs: 3_600_000, groupCommitMs: 3_600_000 } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  files.holdSync = true;
  await transport.publishData(SUB_A, 'data', enc('r1'));
  t.is(transport.uplinkBacklog()?.depth, 0, 'acknowledged by the hub, so no longer held');
  await until(() => hub.data.length === 1, 5000, 'the reading at the hub');
  files.releaseSyncs();
});

test('one reading at a time on a hub that acknowledges quickly: each resolves on its PUBACK and the store fsyncs (almost) none of them', async (t) => {
  const { makeTransport, hub } = await rig(t);
  const files = await heldFiles(t);
  // A bound no loaded test machine reaches, so the PUBACK is always waited for once measured.
  const transport = makeTransport({ ackGraceMaxMs: 5_000, offlineStore: { files, syncIntervalMs: 3_600_000 } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const syncs = files.syncs;
  const readings = 40;
  for (let i = 0; i < readings; i++) await transport.publishData(SUB_A, 'data', enc(`r${i}`));
  // Without the wait every reading is fsynced (40). The first has no round trip measured yet and is
  // fsynced at once; on a loaded machine a PUBACK now and then comes later than the smoothed round
  // trip + 4x its variation and costs one too (4 of 40 at load 14): a quarter bounds both.
  t.true(files.syncs - syncs < readings / 4, `${files.syncs - syncs} fsyncs for ${readings} readings the hub acknowledged at once: one per reading costs more than the rest of a publish`);
  t.is(transport.uplinkBacklog()?.depth, 0);
});

test('a hub that stops acknowledging: a reading sent at once is still made durable by an fsync (after the grace), and not before it', async (t) => {
  const { makeTransport, hub, broker } = await rig(t);
  const files = await heldFiles(t);
  const transport = makeTransport({ ackGraceMaxMs: 50, offlineStore: { files, syncIntervalMs: 3_600_000 } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  for (let i = 0; i < 5; i++) await transport.publishData(SUB_A, 'data', enc(`warm-${i}`)); // round trips measured
  broker.holdPublishes = true;
  files.holdSync = true;
  const syncStarted = files.nextSync();
  const published = transport.publishData(SUB_A, 'data', enc('unacknowledged'));
  await syncStarted; // no PUBACK within the grace: the store fsyncs it
  t.is(await settledYet(published), 'pending', 'resolved before the fsync completed and without a PUBACK');
  files.releaseSyncs();
  await published;
  t.is(transport.uplinkBacklog()?.depth, 1, 'held until the hub acknowledges it');
  broker.releasePublishes();
  await until(() => transport.uplinkBacklog()?.depth === 0, 5000, 'the late PUBACK');
});
