import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { subdeviceKey } from '@iotgw/domain';
import { SUB_A, SUB_B, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function storeDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-uplink-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('QoS 1 readings held while disconnected survive a restart, go out in order once online, and never again', async (t) => {
  const { makeTransport, broker, hub } = await rig(t);
  const dir = await storeDir(t);
  const first = makeTransport({ offlineStore: { dir } });
  await first.connect();
  await broker.stop();
  await until(() => first.state === 'reconnecting');
  for (const text of ['m1', 'm2', 'm3']) await first.publishData(SUB_A, 'data', enc(text));
  t.is(first.uplinkBacklog()?.depth, 3);
  t.deepEqual(first.uplinkBacklog()?.held, { 'SUBPRODAAA/sub-a': 3 });
  await first.close();
  await broker.start(broker.port);
  await until(() => hub.ready >= 2, 5000, 'responder back');

  const second = makeTransport({ offlineStore: { dir } });
  await second.connect();
  t.is(second.uplinkBacklog()?.depth, 3, 'recovered from disk');
  hub.bound.add('SUBPRODAAA/sub-a');
  await second.online([SUB_A]); // data topics are usable only once the subdevice is online again
  await until(() => hub.data.length >= 3);
  t.deepEqual(hub.data.map((d) => d.payload.toString()), ['m1', 'm2', 'm3']);
  await until(() => second.uplinkBacklog()?.depth === 0, 5000, 'acknowledged');
  await second.close();

  const third = makeTransport({ offlineStore: { dir } });
  await third.connect();
  t.is(third.uplinkBacklog()?.depth, 0, 'acknowledged readings are not re-sent after a restart');
});

for (const [overflow, expectKept, rejects] of [
  ['drop-oldest', 'the newest', undefined],
  // The new reading is refused: its publish says so, so its source keeps it (no link ack).
  ['drop-newest', 'the oldest', 'store.dropped'],
  ['reject', 'the oldest', 'store.full'],
] as const) {
  test(`offline store full, policy ${overflow}: keeps ${expectKept}, counts the drops`, async (t) => {
    const { makeTransport, hub } = await rig(t);
    // Never connected yet: QoS 1 readings are held, bounded by maxBytes.
    const transport = makeTransport({ offlineStore: { maxBytes: 64 * 1024, overflow } });
    const pad = 'x'.repeat(1000);
    let rejected = 0;
    for (let i = 0; i < 100; i++) {
      await transport.publishData(SUB_A, 'data', enc(`${i} ${pad}`)).catch((e: { code?: string }) => {
        t.is(e.code, rejects);
        rejected++;
      });
    }
    const backlog = transport.uplinkBacklog();
    t.true((backlog?.depth ?? 0) < 100);
    if (rejects) t.is(rejected, 100 - (backlog?.depth ?? 0));
    else t.is(rejected, 0);
    if (overflow !== 'reject') t.is(backlog?.dropped['max_bytes'], 100 - (backlog?.depth ?? 0));
    await transport.connect();
    hub.bound.add('SUBPRODAAA/sub-a');
    await transport.online([SUB_A]);
    await until(() => hub.data.length >= (backlog?.depth ?? 0), 5000, 'held readings at the hub');
    const numbers = hub.data.map((d) => Number(d.payload.toString().split(' ')[0]));
    t.is(numbers[overflow === 'drop-oldest' ? numbers.length - 1 : 0], overflow === 'drop-oldest' ? 99 : 0);
    t.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
  });
}

test('a reading made while its subdevice is being brought online never overtakes its held backlog', async (t) => {
  const { makeTransport, hub, broker } = await rig(t);
  const dir = await storeDir(t);
  const first = makeTransport({ offlineStore: { dir } });
  for (let i = 0; i < 3000; i++) void first.publishData(SUB_A, 'data', enc(`${i}`)); // held: not connected
  await first.close(); // on disk now: the second transport reads them back in batches
  const second = makeTransport({ offlineStore: { dir } });
  await second.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  const online = second.online([SUB_A]);
  // Readings keep coming while the online is on its way and while the backlog drains.
  let next = 3000;
  const live = async (): Promise<void> => {
    while (next < 3300) {
      await second.publishData(SUB_A, 'data', enc(`${next++}`));
      if (next % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all([online, live()]);
  await until(() => broker.published.filter((p) => p.clientId === 'GWPRODUCT1gw1' && p.topic.endsWith('/data')).length >= 3300, 10_000, 'all at the broker');
  const order = broker.published.filter((p) => p.clientId === 'GWPRODUCT1gw1' && p.topic.endsWith('/data')).map((p) => Number(p.payload.toString()));
  const firstOutOfOrder = order.findIndex((n, i) => i > 0 && n < order[i - 1]!);
  t.is(firstOutOfOrder, -1, `out of order at ${firstOutOfOrder}: ${order.slice(Math.max(0, firstOutOfOrder - 3), firstOutOfOrder + 3).join(',')}`);
  t.is(new Set(order).size, 3300);
});

test('a reading made right after the online waits behind the backlog still being read from disk', async (t) => {
  const { makeTransport, hub, broker } = await rig(t);
  const dir = await storeDir(t);
  const first = makeTransport({ offlineStore: { dir } });
  for (let i = 0; i < 100; i++) void first.publishData(SUB_A, 'data', enc(`${i}`));
  await first.close();
  const second = makeTransport({ offlineStore: { dir } });
  await second.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await second.online([SUB_A]); // the drain has taken all 100 and is reading them back
  await second.publishData(SUB_A, 'data', enc('100'));
  await until(() => hub.data.length >= 101, 5000, 'all at the hub');
  const order = broker.published.filter((p) => p.topic.endsWith('/data')).map((p) => Number(p.payload.toString()));
  t.deepEqual(order, Array.from({ length: 101 }, (_, i) => i));
});

test('draining is fair: a subdevice with a small backlog is not stuck behind a big one', async (t) => {
  const { makeTransport, hub, broker } = await rig(t);
  const transport = makeTransport();
  for (let i = 0; i < 3000; i++) void transport.publishData(SUB_A, 'data', enc(`a${i}`));
  for (let i = 0; i < 100; i++) void transport.publishData(SUB_B, 'data', enc(`b${i}`));
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  hub.bound.add('SUBPRODAAA/sub-b');
  await transport.online([SUB_A, SUB_B]);
  // A deadline, not a speed target: the box may be crowded.
  await until(() => hub.data.length >= 3100, 60_000, 'everything delivered');
  const order = broker.published.filter((p) => p.topic.endsWith('/data')).map((p) => p.payload.toString());
  const lastB = order.lastIndexOf('b99');
  t.true(lastB < 400, `b's last reading went out as message ${lastB} of 3100`);
  t.deepEqual(order.filter((p) => p.startsWith('b')), Array.from({ length: 100 }, (_, i) => `b${i}`));
  t.is(transport.uplinkBacklog()?.held[subdeviceKey(SUB_A)], undefined);
});

test('close while connected waits for the hub to acknowledge what is in flight: all delivered, nothing left for the next start', async (t) => {
  const { makeTransport, hub } = await rig(t);
  const dir = await storeDir(t);
  const transport = makeTransport({ offlineStore: { dir } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const count = 300;
  const sent = Array.from({ length: count }, (_, i) => transport.publishData(SUB_A, 'data', enc(`r${i}`)));
  t.true((transport.uplinkBacklog()?.depth ?? 0) > 0, 'readings are in flight when close starts');
  await transport.close({ timeoutMs: 5000 });
  await Promise.all(sent);
  await until(() => hub.data.length >= count, 5000, 'all readings at the hub');
  t.deepEqual(hub.data.map((d) => d.payload.toString()), Array.from({ length: count }, (_, i) => `r${i}`));
  const again = makeTransport({ offlineStore: { dir } });
  await again.connect();
  t.is(again.uplinkBacklog()?.depth, 0);
});

test('close while connect attempts back off leaves no timer behind: the process exits at once', async (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/connect-then-close.js', import.meta.url));
  const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  let closedAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('closed')) closedAt = Date.now();
  });
  // 'close', not 'exit': the "closed" line may still be in the pipe when the process is gone.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  t.is(code, 0);
  t.true(closedAt > 0, 'the fixture closed the transport');
  const lingered = Date.now() - closedAt;
  t.log(`exited ${lingered} ms after close`);
  // Before the fix a cancelled backoff wait (5 s) or mqtt.js's CONNACK timer (10 s) kept it alive.
  t.true(lingered < 2_000, `the process lived ${lingered} ms after close`);
});

test('thousands of QoS 0 readings at once: all resolve, with no drain listener per message (no MaxListenersExceededWarning)', async (t) => {
  const { transport, hub } = await rig(t);
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const payload = new TextEncoder().encode('x'.repeat(100));
  await Promise.all(Array.from({ length: 5000 }, () => transport.publishData(SUB_A, 'data', payload, { qos: 0 })));
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  t.deepEqual(warnings.filter((w) => w.includes('MaxListeners')), []);
});
