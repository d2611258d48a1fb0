import test from 'ava';
import { CancelledError, throwIfAborted, TimeoutError, withDeadline } from '../src/index.js';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('withDeadline resolves with the work result', async (t) => {
  t.is(await withDeadline('op', {}, 1000, () => Promise.resolve(42)), 42);
});

test('withDeadline passes the work its rejection unchanged', async (t) => {
  const failure = new Error('work failed');
  t.is(await t.throwsAsync(withDeadline('op', {}, 1000, () => Promise.reject(failure))), failure);
});

test('a timeout rejects with TimeoutError naming the operation and aborts the work signal', async (t) => {
  let workSignal: AbortSignal | undefined;
  const error = await t.throwsAsync(
    withDeadline('bind ABCDEFGHIJ/sub1', { timeoutMs: 20 }, 10_000, (signal) => {
      workSignal = signal;
      return new Promise<never>(() => {});
    }),
    { instanceOf: TimeoutError },
  );
  t.is(error?.timeoutMs, 20);
  t.regex(error?.message ?? '', /bind ABCDEFGHIJ\/sub1 timed out after 20 ms/);
  t.true(workSignal?.aborted);
  t.true(workSignal?.reason instanceof TimeoutError);
});

test('the default timeout applies when the caller gives none', async (t) => {
  const error = await t.throwsAsync(withDeadline('op', {}, 15, () => new Promise<never>(() => {})), { instanceOf: TimeoutError });
  t.is(error?.timeoutMs, 15);
});

test('a cancel rejects with CancelledError (not TimeoutError) and aborts the work signal', async (t) => {
  const controller = new AbortController();
  let workSignal: AbortSignal | undefined;
  const pending = withDeadline('online', { signal: controller.signal, timeoutMs: 10_000 }, 10_000, (signal) => {
    workSignal = signal;
    return new Promise<never>(() => {});
  });
  await wait(5);
  controller.abort(new Error('user pressed stop'));
  const error = await t.throwsAsync(pending, { instanceOf: CancelledError });
  t.false(error instanceof TimeoutError);
  t.is((error?.cause as Error).message, 'user pressed stop');
  t.true(workSignal?.aborted);
  t.true(workSignal?.reason instanceof CancelledError);
});

test('an already aborted signal rejects before the work starts', async (t) => {
  const controller = new AbortController();
  controller.abort();
  let started = false;
  await t.throwsAsync(
    withDeadline('op', { signal: controller.signal }, 1000, () => {
      started = true;
      return Promise.resolve();
    }),
    { instanceOf: CancelledError },
  );
  t.false(started);
});

test('no timeout is armed for 0, negative or infinite timeouts', async (t) => {
  for (const timeoutMs of [0, -1, Number.POSITIVE_INFINITY]) {
    t.is(await withDeadline('op', { timeoutMs }, 1, () => wait(10).then(() => 'done')), 'done', String(timeoutMs));
  }
});

test('withDeadline removes its abort listener when done', async (t) => {
  const controller = new AbortController();
  await withDeadline('op', { signal: controller.signal }, 1000, () => Promise.resolve(1));
  // Aborting later must not reject anything or throw.
  t.notThrows(() => controller.abort());
});

test('throwIfAborted throws CancelledError only for an aborted signal', (t) => {
  t.notThrows(() => throwIfAborted(undefined, 'x'));
  t.notThrows(() => throwIfAborted(new AbortController().signal, 'x'));
  const c = new AbortController();
  c.abort('why');
  const error = t.throws(() => throwIfAborted(c.signal, 'read'), { instanceOf: CancelledError });
  t.is(error.cause, 'why');
  t.is(error.message, 'read was cancelled');
});

test('withDeadline on an injected clock times out when the clock says so, and leaves no sleeper behind', async (t) => {
  const sleepers: Array<{ ms: number; wake: () => void; signal: AbortSignal | undefined }> = [];
  const clock = {
    now: () => 0,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        sleepers.push({ ms, wake: resolve, signal });
        signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
      }),
  };
  const hung = withDeadline('waiting', {}, 5_000, () => new Promise<never>(() => undefined), clock);
  t.is(sleepers[0]?.ms, 5_000);
  sleepers[0]?.wake();
  await t.throwsAsync(hung, { instanceOf: TimeoutError });
  t.is(await withDeadline('quick', {}, 5_000, () => Promise.resolve(7), clock), 7);
  t.true(sleepers[1]?.signal?.aborted, 'the timeout sleep of a finished call is cancelled');
  t.false(sleepers[1]?.signal?.reason instanceof Error, 'by a constant reason: no DOMException (and its stack trace) per call');
});

test('work that fails after its deadline passed is not an unhandled rejection', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    let fail!: (e: Error) => void;
    const late = withDeadline('late failure', { timeoutMs: 5 }, 5, () => new Promise<never>((_, reject) => (fail = reject)));
    await t.throwsAsync(late, { instanceOf: TimeoutError });
    fail(new Error('connection closed'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
