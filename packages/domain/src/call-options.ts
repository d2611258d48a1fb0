import { CancelledError, TimeoutError } from './errors.js';
import type { Clock } from './ports/clock.port.js';

/** Every public async call takes these: a caller's abort signal and/or a timeout. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Milliseconds; each port documents its default. */
  readonly timeoutMs?: number;
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what, { cause: signal.reason });
}

/**
 * Why a finished call's timeout sleep is cancelled. A constant, not an Error: `abort()` without a
 * reason makes a DOMException (stack trace included) on every call, and calls with a deadline run
 * per message on hot paths (each downlink handed to a link).
 */
const SETTLED = Object.freeze({ settled: true });

/**
 * Races `work` against the caller's signal and a timeout, turning each into its own error kind.
 * `work` receives a signal that fires on either, so it can stop what it started. With a `clock`
 * the timeout is one of its sleeps (tests move it by hand); without, a plain timer.
 */
export async function withDeadline<T>(
  what: string,
  options: CallOptions,
  defaultTimeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  clock?: Clock,
): Promise<T> {
  throwIfAborted(options.signal, what);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  const timerStop = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    const expire = (): void => {
      const error = new TimeoutError(what, timeoutMs);
      controller.abort(error);
      reject(error);
    };
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      if (clock) clock.sleep(timeoutMs, timerStop.signal).then(expire, () => undefined);
      else timer = setTimeout(expire, timeoutMs);
    }
    if (options.signal) {
      onAbort = () => {
        const error = new CancelledError(what, { cause: options.signal?.reason });
        controller.abort(error);
        reject(error);
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    const running = work(controller.signal);
    // When the deadline or the caller's abort wins, the work may still fail later: that failure
    // has no one left to tell and must not surface as an unhandled rejection.
    running.catch(() => undefined);
    return await Promise.race([running, stop]);
  } finally {
    if (timer) clearTimeout(timer);
    timerStop.abort(SETTLED);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
