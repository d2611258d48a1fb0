import { CancelledError, TimeoutError } from '@iotgw/domain';

/** Polls `check` until it returns true: the demo verifies state, it never sleeps and assumes. */
export async function waitFor(what: string, check: () => boolean, options: { timeoutMs: number; signal?: AbortSignal; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (check()) return;
    if (options.signal?.aborted) throw new CancelledError(what);
    if (Date.now() > deadline) throw new TimeoutError(what, options.timeoutMs);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
