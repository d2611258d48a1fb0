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
