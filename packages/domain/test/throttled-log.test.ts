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
