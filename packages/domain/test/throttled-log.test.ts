import test from 'ava';
import { ThrottledLog, type Clock, type LogContext, type Logger } from '../src/index.js';

function capture(): { logger: Logger; lines: Array<{ message: string; context: LogContext | undefined }> } {
  const lines: Array<{ message: string; context: LogContext | undefined }> = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, context) => lines.push({ message, context }),
    error() {},
    child: () => logger,
  };
  return { logger, lines };
}

test('a flood of one kind costs one line per interval, with the count held back', (t) => {
  let now = 0;
  const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
  const { logger, lines } = capture();
  const log = new ThrottledLog(logger, clock, 60_000);
  for (let i = 0; i < 10_000; i++) log.warn('bad-json', 'malformed message from the hub', { topic: 't' });
  t.is(lines.length, 1);
  t.is(log.heldBack('bad-json'), 9_999);
  now = 60_000;
  log.warn('bad-json', 'malformed message from the hub', { topic: 't' });
  t.is(lines.length, 2);
  t.regex(lines[1]!.message, /and 9999 more/);
  t.is(lines[1]!.context?.['repeated'], 9_999);
});

test('kinds are throttled apart: a new kind is logged at once', (t) => {
  const clock: Clock = { now: () => 0, sleep: () => Promise.resolve() };
  const { logger, lines } = capture();
  const log = new ThrottledLog(logger, clock);
  log.warn('a', 'first a');
  log.warn('a', 'second a');
  log.warn('b', 'first b');
  t.deepEqual(lines.map((l) => l.message), ['first a', 'first b']);
});

test('hold counts an occurrence and says whether it is held back, so a hot path can skip building the line; the next report counts it', (t) => {
  let now = 0;
  const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
  const { logger, lines } = capture();
  const log = new ThrottledLog(logger, clock, 60_000);
  t.false(log.hold('bad-json'), 'never reported: not held, the caller reports it');
  log.warn('bad-json', 'malformed message from the hub');
  let built = 0;
  for (let i = 0; i < 1_000; i++) {
    if (log.hold('bad-json')) continue;
    built += 1;
    log.warn('bad-json', `malformed message ${i}`);
  }
  t.is(built, 0, 'within the interval every line is held without being built');
  t.is(lines.length, 1);
  now = 60_000;
  t.false(log.hold('bad-json'), 'the interval passed: report the next one');
  log.warn('bad-json', 'malformed message from the hub');
  t.is(lines.length, 2);
  t.regex(lines[1]!.message, /and 1000 more/);
});
