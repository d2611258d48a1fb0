import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GatewayError } from '@iotgw/domain';
import { MemoryStateStore } from '@iotgw/testkit';
import { OutboxOverflowError } from '../src/index.js';
import { SUB_A, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('QoS1 messages queued while disconnected survive a restart and are delivered in order', async (t) => {
  const { makeTransport, broker, hub } = await rig(t);
  const store = new MemoryStateStore();
  const first = makeTransport({ outbox: { store } });
  await first.connect();
  await broker.stop();
  await until(() => first.state === 'reconnecting');
  for (const text of ['m1', 'm2', 'm3']) await first.publishData(SUB_A, 'data', enc(text));
  t.is(first.outboxStats.size, 3);
  await first.close();
  t.deepEqual(
    Object.values(store.snapshot()).flatMap((v) => (Array.isArray(v) ? v.map((e: any) => Buffer.from(e.payload, 'base64').toString()) : [])),
    ['m1', 'm2', 'm3'],
  );
  await broker.start(broker.port);
  await until(() => hub.ready >= 2, 5000, 'responder back');
  const second = makeTransport({ outbox: { store } });
  await second.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await second.online([SUB_A]); // data topics are usable only once the subdevice is online again
  await until(() => hub.data.length >= 3);
  t.deepEqual(hub.data.map((d) => d.payload.toString()), ['m1', 'm2', 'm3']);
  await until(() => second.outboxStats.size === 0);
  await until(() => Object.values(store.snapshot()).every((v) => Array.isArray(v) && v.length === 0), 2000, 'store emptied');
  t.pass();
});

for (const [policy, kept, rejects] of [
  ['drop-oldest', ['b', 'c'], false],
  ['drop-newest', ['a', 'b'], false],
  ['reject', ['a', 'b'], true],
] as const) {
  test(`outbox overflow policy ${policy}: keeps ${kept.join(',')}, counts and reports the drop`, async (t) => {
    const { makeTransport, hub } = await rig(t);
    const store = new MemoryStateStore();
    // Never connected yet: QoS1 publishes queue up (bounded) until connect.
    const transport = makeTransport({ outbox: { store, capacity: 2, overflow: policy } });
    const errors: GatewayError[] = [];
    transport.on('error', (e) => errors.push(e));
    await transport.publishData(SUB_A, 'data', enc('a'));
    await transport.publishData(SUB_A, 'data', enc('b'));
    const third = transport.publishData(SUB_A, 'data', enc('c'));
    if (rejects) await t.throwsAsync(third, { instanceOf: OutboxOverflowError });
    else await t.notThrowsAsync(third);
    t.is(errors.length, 1);
    t.true(errors[0] instanceof OutboxOverflowError);
    t.is(transport.outboxStats.dropped, 1);
    await transport.connect();
    hub.bound.add('SUBPRODAAA/sub-a');
    await transport.online([SUB_A]);
    await until(() => hub.data.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.deepEqual(hub.data.map((d) => d.payload.toString()), kept);
  });
}

test('close while connected waits for the hub to acknowledge messages in flight: all delivered, none left for the next start', async (t) => {
  const { makeTransport, hub } = await rig(t);
  const store = new MemoryStateStore();
  const transport = makeTransport({ outbox: { store } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const count = 300;
  const sent = Array.from({ length: count }, (_, i) => transport.publishData(SUB_A, 'data', enc(`r${i}`)));
  await new Promise((resolve) => setImmediate(resolve)); // publishData queues after the outbox load
  t.true(transport.outboxStats.size > 0, 'messages are in flight when close starts');
  await transport.close({ timeoutMs: 5000 });
  await Promise.all(sent);
  t.is(transport.outboxStats.size, 0);
  t.deepEqual(
    Object.values(store.snapshot()).flatMap((v) => (Array.isArray(v) ? v : [])),
    [],
    'nothing persisted for the next start',
  );
  await until(() => hub.data.length >= count, 5000, 'all readings at the hub');
  t.deepEqual(
    hub.data.map((d) => d.payload.toString()),
    Array.from({ length: count }, (_, i) => `r${i}`),
  );
});

test('close while connect attempts back off leaves no timer behind: the process exits at once', async (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/connect-then-close.js', import.meta.url));
  const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  let closedAt = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('closed')) closedAt = Date.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 0);
  t.true(closedAt > 0, 'the fixture closed the transport');
  const lingered = Date.now() - closedAt;
  t.log(`exited ${lingered} ms after close`);
  // Before the fix a cancelled backoff wait (5 s) or mqtt.js's CONNACK timer (10 s) kept it alive.
  t.true(lingered < 2_000, `the process lived ${lingered} ms after close`);
});
