import { TimeoutError } from '@iotgw/domain';

/**
 * Polls `probe` (real time) until `accept` holds, for contract clauses whose effect reaches the
 * other side asynchronously (a broker, a socket). Resolves with the accepted value.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 10, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new TimeoutError(`waiting for ${what}`, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with the first event payload, or rejects after `timeoutMs`. */
export function nextEvent<T>(
  subscribe: (listener: (payload: T) => void) => { close(): void },
  timeoutMs = 30_000,
  what = 'event',
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.close();
      reject(new TimeoutError(`waiting for ${what}`, timeoutMs));
    }, timeoutMs);
    const sub = subscribe((payload) => {
      clearTimeout(timer);
      sub.close();
      resolve(payload);
    });
  });
}

/** Deterministic test bytes (a cheap LCG), so failures are reproducible. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
