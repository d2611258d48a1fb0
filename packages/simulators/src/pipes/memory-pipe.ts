import { PipeEnd } from './pipe-end.js';

/**
 * Two connected ends. Delivery is asynchronous (a microtask) so a write never re-enters the
 * writer, as with a real port.
 */
export function createMemoryPipe(): [PipeEnd, PipeEnd] {
  const a = new PipeEnd('memory-pipe:a');
  const b = new PipeEnd('memory-pipe:b');
  const carry = (to: PipeEnd) => (bytes: Uint8Array) => {
    const copy = bytes.slice();
    queueMicrotask(() => to.receive(copy));
  };
  a.connect(carry(b), b);
  b.connect(carry(a), a);
  return [a, b];
}
