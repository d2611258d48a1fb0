import { readdir } from 'node:fs/promises';
import test from 'ava';
import { CapturingLogger } from '@iotgw/testkit';
import { OfflineStore } from '../src/index.js';
import { FaultySegmentFiles } from './faulty-segment-files.js';
import { drainAll, enc, openStore, tempDir } from './helpers.js';

test('disk full: the store runs degraded (held in memory, loud once), drops beyond its reserve by reason, and recovers with no file left behind', async (t) => {
  const dir = await tempDir(t);
  const files = new FaultySegmentFiles(dir);
  const logger = new CapturingLogger();
  const store = await OfflineStore.open({ files, logger, syncIntervalMs: 10, segmentBytes: 4096, maxUnwrittenBytes: 16 * 1024, configPath: 'hub.offlineStore' });
  for (let i = 0; i < 20; i++) store.append('P/a', 'P/a/data', enc(`before ${i}`));
  await store.durable();
  files.full = true;
  let accepted = 20;
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 50; i++) if (store.append('P/a', 'P/a/data', enc(`during ${accepted} ${'p'.repeat(40)}`)) !== undefined) accepted++;
    await store.durable();
  }
  const degraded = store.stats();
  t.is(degraded.degraded?.code, 'ENOSPC');
  t.true(degraded.dropped.disk_full > 0, 'beyond the memory reserve readings are dropped, counted');
  t.is(degraded.depth, accepted);
  const warnings = logger.at('warn').filter((l) => l.message.includes('cannot write'));
  t.is(warnings.length, 1, 'one warning, not one per failed write');
  t.regex(warnings[0]!.message, /hub\.offlineStore\.maxBytes/);

  files.full = false;
  await store.durable();
  await store.durable();
  t.is(store.stats().degraded, undefined);
  t.true(logger.at('warn').some((l) => l.message.includes('writing works again')));
  await store.close();

  const names = await readdir(dir);
  t.true(names.every((n) => /^\d{12}\.seg$/.test(n)), `only segment files: ${names.join(',')}`);
  const again = await openStore(t, { dir });
  const payloads = (await drainAll(again)).map((r) => r.payload);
  t.is(payloads.length, accepted, 'everything accepted survives, nothing twice');
  t.deepEqual(payloads.slice(0, 2), ['before 0', 'before 1']);
  const numbers = payloads.filter((p) => p.startsWith('during')).map((p) => Number(p.split(' ')[1]));
  t.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
});

test('disk full while the hub is up: acknowledged readings are never written, so nothing piles up and nothing is re-sent', async (t) => {
  const dir = await tempDir(t);
  const files = new FaultySegmentFiles(dir);
  const store = await OfflineStore.open({ files, syncIntervalMs: 10, maxUnwrittenBytes: 8 * 1024 });
  files.full = true;
  await store.durable();
  for (let i = 0; i < 5_000; i++) {
    const seq = store.append('P/a', 'P/a/data', enc(`live ${i} ${'q'.repeat(30)}`));
    store.markSent('P/a');
    if (seq !== undefined) store.ack('P/a', seq); // the hub acknowledges at once
  }
  t.is(store.stats().dropped.disk_full, 0);
  t.is(store.stats().depth, 0);
  files.full = false;
  await store.durable();
  await store.close();
  const again = await openStore(t, { dir });
  t.is(again.stats().depth, 0);
});
