import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { JsonValue } from '@iotgw/domain';
import { MemoryStateStore } from '@iotgw/testkit';
import { SUB_A, rig, until } from './helpers/setup.js';

const KEY = 'mqtt/outbox/gwproduct1/gw1';

/** The outbox document a version before the offline store left in its state dir (3 readings and a version report). */
async function legacyFixture(): Promise<Record<string, JsonValue>> {
  const file = fileURLToPath(new URL('../../test/fixtures/legacy-outbox.json', import.meta.url));
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, JsonValue>;
}

async function storeDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-legacy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the outbox an older version left in the state store is moved into the offline store at the first start, sent in order, and never again', async (t) => {
  const { makeTransport, hub, logger } = await rig(t);
  const dir = await storeDir(t);
  const state = new MemoryStateStore(await legacyFixture());
  const first = makeTransport({ offlineStore: { dir }, legacyOutbox: { store: state } });
  await first.connect();
  await until(() => first.uplinkBacklog()?.depth === 4 || hub.reports.length > 0, 5000, 'the old outbox taken over');
  t.is(await state.get(KEY), undefined, 'the old copy is deleted once the offline store holds it');
  t.truthy(logger.at('info').find((l) => l.message.includes('moved 4 held messages')));
  hub.bound.add('SUBPRODAAA/sub-a');
  await first.online([SUB_A]);
  await until(() => hub.data.length === 3 && hub.reports.length === 1, 5000, 'the old messages at the hub');
  t.deepEqual(hub.data.map((d) => d.payload.toString()), ['{"old":0}', '{"old":1}', '{"old":2}']);
  t.like(hub.reports[0]!.message, { type: 'report_version', version: '1.0.0' });
  await until(() => first.uplinkBacklog()?.depth === 0, 5000, 'acknowledged');
  await first.close();

  const second = makeTransport({ offlineStore: { dir }, legacyOutbox: { store: state } });
  await second.connect();
  await second.publishData(SUB_A, 'data', new TextEncoder().encode('new')); // opens the store
  t.is(second.uplinkBacklog()?.depth, 1, 'only the new reading: the old outbox is not taken over twice');
});

test('an old outbox document that cannot be read is left in place with a warning naming it; uplink works', async (t) => {
  const { makeTransport, logger } = await rig(t);
  const state = new MemoryStateStore({ [KEY]: { not: 'a list' } });
  const transport = makeTransport({ legacyOutbox: { store: state } });
  await transport.publishData(SUB_A, 'data', new TextEncoder().encode('r1'));
  t.deepEqual(await state.get(KEY), { not: 'a list' });
  t.truthy(logger.at('warn').find((l) => l.message.includes(KEY) && l.message.includes('not a list')));
  t.is(transport.uplinkBacklog()?.depth, 1);
});
