import test from 'ava';
import { CancelledError, StateCorruptError, subdeviceId, ValidationError } from '@iotgw/domain';
import { CapturingLogger, ManualClock, MemorySecretStore, MemoryStateStore } from '../src/index.js';

const A = subdeviceId('ABCDEFGHIJ', 'a');

test('MemoryStateStore: failNextPut fails one put and stores nothing', async (t) => {
  const store = new MemoryStateStore();
  const full = new StateCorruptError('x', 'disk full');
  store.failNextPut(full);
  t.is(await t.throwsAsync(store.put('x', 1)), full);
  t.is(await store.get('x'), undefined);
  await store.put('x', 2);
  t.deepEqual(store.snapshot(), { x: 2 });
  t.deepEqual(store.puts, ['x']);
});

test('MemoryStateStore: initial documents, snapshot is a copy, undefined is refused', async (t) => {
  const store = new MemoryStateStore({ 'a/b': { n: 1 } });
  const snap = store.snapshot() as { 'a/b': { n: number } };
  snap['a/b'].n = 5;
  t.deepEqual(await store.get('a/b'), { n: 1 });
  await t.throwsAsync(store.put('u', undefined as never), { instanceOf: ValidationError });
  t.throws(() => new MemoryStateStore({ BAD: 1 }), { instanceOf: ValidationError });
});

test('MemorySecretStore: looks up by subdevice key and records keys only', async (t) => {
  const secrets = new MemorySecretStore({ 'ABCDEFGHIJ/a': 'top-secret' });
  t.is(await secrets.secretFor(A), 'top-secret');
  t.is(await secrets.secretFor(subdeviceId('ABCDEFGHIJ', 'b')), undefined);
  t.deepEqual(secrets.lookups, ['ABCDEFGHIJ/a', 'ABCDEFGHIJ/b']);
  secrets.remove(A);
  t.is(await secrets.secretFor(A), undefined);
  secrets.set(A, 'new');
  t.is(await new MemorySecretStore(new Map([['ABCDEFGHIJ/a', 'm']])).secretFor(A), 'm');
  const c = new AbortController();
  c.abort();
  await t.throwsAsync(secrets.secretFor(A, { signal: c.signal }), { instanceOf: CancelledError });
});

test('CapturingLogger: children share lines and merge context; text() finds leaks', (t) => {
  const logger = new CapturingLogger({ gateway: 'GW' });
  const child = logger.child({ subdevice: 'ABCDEFGHIJ/a' });
  child.info('bound', { attempt: 1 });
  logger.warn('slow');
  logger.debug('d');
  logger.error('e');
  t.deepEqual(logger.lines[0], { level: 'info', message: 'bound', context: { gateway: 'GW', subdevice: 'ABCDEFGHIJ/a', attempt: 1 } });
  t.is(logger.at('warn').length, 1);
  t.regex(logger.text(), /info bound .*"subdevice":"ABCDEFGHIJ\/a"/);
  t.false(logger.text().includes('top-secret'));
  logger.clear();
  t.deepEqual(logger.lines, []);
});

// void: these sleeps are awaited through advance(); the test only records the order.
test('ManualClock: sleepers wake in due order, chained sleeps inside the window wake too', async (t) => {
  const clock = new ManualClock(0);
  const order: string[] = [];
  void clock.sleep(30).then(() => order.push('30'));
  void clock.sleep(10).then(async () => {
    order.push('10');
    await clock.sleep(10);
    order.push('10+10');
  });
  t.is(clock.nextWakeAt(), 10);
  await clock.advance(30);
  t.deepEqual(order, ['10', '10+10', '30']);
  t.is(clock.now(), 30);
  t.is(clock.pendingSleeps, 0);
  await t.throwsAsync(clock.advance(-1), { instanceOf: ValidationError });
});

test('ManualClock: waitForSleepers resolves once the code under test went to sleep', async (t) => {
  const clock = new ManualClock(0);
  const woke = (async () => {
    await Promise.resolve();
    await clock.sleep(5);
    return clock.now();
  })();
  await clock.waitForSleepers(1);
  await clock.advance(5);
  t.is(await woke, 5);
  clock.set(1000);
  t.is(clock.now(), 1000);
});
