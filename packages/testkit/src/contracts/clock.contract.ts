import type { TestFn } from 'ava';
import { CancelledError, type Clock } from '@iotgw/domain';

export interface ClockHarness {
  readonly clock: Clock;
  /** Lets `ms` pass for this clock (a ManualClock advances; a system clock really waits). */
  readonly pass: (ms: number) => Promise<void>;
  dispose?(): Promise<void>;
}

/** The Clock contract: `now` moves with time, `sleep` resolves after `ms`, aborts reject CancelledError. */
export function describeClockContract(test: TestFn, makeHarness: () => ClockHarness | Promise<ClockHarness>, name = 'Clock'): void {
  const open = async (t: { teardown(fn: () => Promise<void> | void): void }): Promise<ClockHarness> => {
    const h = await makeHarness();
    t.teardown(async () => h.dispose?.());
    return h;
  };

  test(`${name}: now() is a finite number of ms that does not go backwards while time passes`, async (t) => {
    const { clock, pass } = await open(t);
    const before = clock.now();
    t.true(Number.isFinite(before));
    await pass(20);
    t.true(clock.now() >= before + 20);
  });

  test(`${name}: sleep(ms) resolves once ms have passed, not before`, async (t) => {
    const { clock, pass } = await open(t);
    const start = clock.now();
    let woke = false;
    const sleeping = clock.sleep(30).then(() => {
      woke = true;
    });
    await pass(5);
    t.false(woke);
    await pass(40);
    await sleeping;
    t.true(woke);
    t.true(clock.now() - start >= 30);
  });

  test(`${name}: sleep(0) resolves`, async (t) => {
    const { clock, pass } = await open(t);
    const sleeping = clock.sleep(0);
    await pass(1);
    await t.notThrowsAsync(sleeping);
  });

  test(`${name}: sleep with an already aborted signal rejects with CancelledError`, async (t) => {
    const { clock } = await open(t);
    const controller = new AbortController();
    controller.abort();
    await t.throwsAsync(clock.sleep(10, controller.signal), { instanceOf: CancelledError });
  });

  test(`${name}: aborting during sleep rejects with CancelledError at once`, async (t) => {
    const { clock, pass } = await open(t);
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    await pass(1);
    controller.abort();
    await t.throwsAsync(sleeping, { instanceOf: CancelledError });
  });
}
