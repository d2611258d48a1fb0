import type { Control } from './fake-hub.types.js';

/**
 * The answer to one FakeHub call under an injected delay or drop: `delay` answers after its ms
 * (real time), `drop` never answers; either ends early on the signal (deadline, cancel) or when
 * the hub settles everything pending (disconnect, close) through `pending`.
 */
export function answerUnderControl<T>(control: Exclude<Control, { kind: 'fail' }>, signal: AbortSignal, pending: Set<(error: Error) => void>, answer: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = (error?: Error): void => {
      pending.delete(settle);
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      if (error) {
        reject(error);
        return;
      }
      try {
        resolve(answer());
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    const onAbort = (): void => settle(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    pending.add(settle);
    if (control.kind === 'delay') timer = setTimeout(() => settle(), control.ms);
    // 'drop': nobody ever answers; only the deadline, a cancel, a disconnect or close ends it.
  });
}
