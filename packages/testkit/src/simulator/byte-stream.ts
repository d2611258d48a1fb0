import type { Subscription } from '@iotgw/domain';

/**
 * The least a duplex byte link must offer the simulator: a serial port, a pty, a pipe end.
 * `write` must not throw; bytes written may arrive at the other end in any slicing.
 */
export interface ByteStream {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): Subscription;
}

/** A ByteStream that fans incoming bytes out to its listeners. */
export class StreamEnd implements ByteStream {
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  #peer: ((bytes: Uint8Array) => void) | undefined;

  /** Where this end's writes go. */
  connectTo(sink: (bytes: Uint8Array) => void): void {
    this.#peer = sink;
  }

  write(bytes: Uint8Array): void {
    this.#peer?.(bytes);
  }

  onData(listener: (bytes: Uint8Array) => void): Subscription {
    const entry = (b: Uint8Array): void => listener(b);
    this.#listeners.add(entry);
    return { close: () => void this.#listeners.delete(entry) };
  }

  /** Delivers bytes to this end's listeners (called by the pipe). */
  receive(bytes: Uint8Array): void {
    for (const l of [...this.#listeners]) l(bytes);
  }
}

/**
 * Two connected ends. Delivery is asynchronous (a microtask) so a write never re-enters the
 * writer, as with a real port.
 */
export function createMemoryPipe(): [StreamEnd, StreamEnd] {
  const a = new StreamEnd();
  const b = new StreamEnd();
  a.connectTo((bytes) => {
    const copy = bytes.slice();
    queueMicrotask(() => b.receive(copy));
  });
  b.connectTo((bytes) => {
    const copy = bytes.slice();
    queueMicrotask(() => a.receive(copy));
  });
  return [a, b];
}
