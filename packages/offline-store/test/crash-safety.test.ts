import { spawn } from 'node:child_process';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { CapturingLogger } from '@iotgw/testkit';
import { OfflineStore } from '../src/index.js';
import { drainAll, enc, openStore, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/append-until-killed.js', import.meta.url));

test('kill -9 mid-append: every reading fsynced before the kill is there, in order per key, none torn', async (t) => {
  const dir = await tempDir(t);
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  let durable = 0;
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (const m of text.matchAll(/durable (\d+)\n/g)) durable = Math.max(durable, Number(m[1]));
      text = text.slice(text.lastIndexOf('\n') + 1);
      // Well into its stride, several segments in: kill it while it keeps appending.
      if (durable >= 40_000 && child.exitCode === null) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited early: ${code}`))));
  });
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
  const store = await openStore(t, { dir });
  const all = await drainAll(store);
  t.true(all.length >= durable, `${all.length} recovered, ${durable} were reported durable`);
  for (let k = 0; k < 10; k++) {
    const counters = all.filter((r) => r.key === `P/${k}`).map((r) => Number(r.payload.split(' ')[0]));
    // No gap, no duplicate, no reordering: exactly 0..n-1 for each key.
    t.true(counters.every((c, i) => c === i), `key P/${k} in order without gaps`);
  }
});

test('a record cut in the middle (torn write) is ignored; everything before it is kept', async (t) => {
  const dir = await tempDir(t);
  const store = await OfflineStore.open({ dir });
  for (let i = 0; i < 10; i++) store.append('P/a', 'P/a/data', enc(`r${i}`));
  await store.close();
  const [segment] = (await readdir(dir)).sort().slice(-1);
  const handle = await open(join(dir, segment!), 'r+');
  const { size } = await handle.stat();
  await handle.truncate(size - 5);
  await handle.close();
  const logger = new CapturingLogger();
  const again = await openStore(t, { dir, logger });
  t.deepEqual((await drainAll(again)).map((r) => r.payload), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
  t.true(logger.at('warn').some((l) => l.message.includes('torn tail')));
});

test('a flipped bit is caught by the CRC, not delivered', async (t) => {
  const dir = await tempDir(t);
  const store = await OfflineStore.open({ dir });
  for (let i = 0; i < 3; i++) store.append('P/a', 'P/a/data', enc(`value-${i}`));
  await store.close();
  const [segment] = (await readdir(dir)).sort().slice(-1);
  const handle = await open(join(dir, segment!), 'r+');
  const { size } = await handle.stat();
  await handle.write(Buffer.from('X'), 0, 1, size - 2); // inside the last record's payload
  await handle.close();
  const again = await openStore(t, { dir });
  t.deepEqual((await drainAll(again)).map((r) => r.payload), ['value-0', 'value-1']);
});
