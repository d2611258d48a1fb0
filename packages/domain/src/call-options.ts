import { CancelledError, TimeoutError } from './errors.js';

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
 * Races `work` against the caller's signal and a timeout, turning each into its own error kind.
 * `work` receives a signal that fires on either, so it can stop what it started.
 */
export async function withDeadline<T>(
  what: string,
  options: CallOptions,
  defaultTimeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  throwIfAborted(options.signal, what);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      timer = setTimeout(() => {
        const error = new TimeoutError(what, timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
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
    return await Promise.race([work(controller.signal), stop]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}
