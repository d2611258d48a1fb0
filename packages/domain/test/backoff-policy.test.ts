import test from 'ava';
import { Backoff, backoffDelay, backoffPolicy } from '../src/index.js';

test('delays double from the initial delay up to the ceiling', (t) => {
  const policy = backoffPolicy({ initialDelayMs: 100, maxDelayMs: 1_000 });
  t.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n)), [100, 200, 400, 800, 1_000, 1_000]);
});

test('a long outage stays at the ceiling (no overflow to Infinity or NaN)', (t) => {
  const policy = backoffPolicy({ initialDelayMs: 500, maxDelayMs: 30_000 });
  t.is(backoffDelay(policy, 10_000), 30_000);
  t.is(backoffDelay(policy, Number.MAX_SAFE_INTEGER), 30_000);
});

test('jitter only shortens a delay, by at most its share', (t) => {
  const policy = backoffPolicy({ initialDelayMs: 1_000, maxDelayMs: 1_000, jitter: 0.3 });
  t.is(backoffDelay(policy, 0, 0), 1_000);
  t.is(backoffDelay(policy, 0, 0.5), 850);
  t.true(backoffDelay(policy, 0, 0.999_999) >= 700);
});

test('defaults and clamping: 500 ms doubling to 30 s without jitter; nonsense made safe', (t) => {
  t.deepEqual(backoffPolicy(), { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0 });
  t.deepEqual(backoffPolicy({ initialDelayMs: 0, maxDelayMs: -5, factor: 0.5, jitter: 7 }), {
    initialDelayMs: 1,
    maxDelayMs: 1,
    factor: 1,
    jitter: 1,
  });
});

test('Backoff counts failures and resets after a success', (t) => {
  const draws = [0.5, 0.5, 0.5];
  const backoff = new Backoff({ initialDelayMs: 200, maxDelayMs: 10_000, factor: 3, jitter: 0.2 }, () => draws.shift() ?? 0);
  t.is(backoff.next(), 180);
  t.is(backoff.next(), 540);
  t.is(backoff.failures, 2);
  backoff.reset();
  t.is(backoff.failures, 0);
  t.is(backoff.next(), 180);
});

test('Backoff without jitter never draws a random number', (t) => {
  const backoff = new Backoff({ initialDelayMs: 10 }, () => {
    throw new Error('no draw expected');
  });
  t.is(backoff.next(), 10);
  t.is(backoff.next(), 20);
});
