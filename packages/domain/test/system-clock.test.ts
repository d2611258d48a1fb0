import test from 'ava';
import { CancelledError, SystemClock, systemClock } from '../src/index.js';

test('SystemClock.now is wall-clock time', (t) => {
  const before = Date.now();
  const now = new SystemClock().now();
  t.true(now >= before && now <= Date.now());
});

test('SystemClock.sleep resolves after the delay', async (t) => {
  const start = Date.now();
  await systemClock.sleep(20);
  t.true(Date.now() - start >= 15);
});

test('SystemClock.sleep rejects with CancelledError when aborted before or during the wait', async (t) => {
  const early = new AbortController();
  early.abort();
  await t.throwsAsync(systemClock.sleep(10, early.signal), { instanceOf: CancelledError });
  const late = new AbortController();
  const sleeping = systemClock.sleep(10_000, late.signal);
  late.abort();
  await t.throwsAsync(sleeping, { instanceOf: CancelledError });
});
