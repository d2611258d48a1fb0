import { CancelledError, type Clock } from '@iotgw/domain';

/** The real clock; the default where none is injected. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new CancelledError('sleep', { cause: signal.reason }));
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new CancelledError('sleep', { cause: signal?.reason }));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
