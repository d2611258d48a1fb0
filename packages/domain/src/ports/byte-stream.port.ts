import type { CallOptions } from '../call-options.js';
import type { EventSource } from '../events.js';
import type { GatewayError } from '../errors.js';
import type { SubdeviceId } from '../subdevice-id.js';

/** What a byte stream's medium is like, so a protocol above it adapts instead of probing. */
export interface ByteStreamCapabilities {
  /**
   * Largest piece the medium carries in one transfer (a BLE ATT payload: MTU − 3). The stream
   * splits longer writes itself; protocols may use it to size their frames. Undefined: no limit.
   */
  readonly maxChunkSize?: number;
  /** Line rate in bytes per second when known (a UART: baud / 10), so timeouts can scale with it. */
  readonly bytesPerSecond?: number;
}

export interface ByteStreamEvents {
  [event: string]: (payload: never) => void;
  /** Bytes in arrival order, in any slicing (a frame may span several events). */
  data: (bytes: Uint8Array) => void;
  /** A fault that did not end the stream (one write failed); the protocol above retransmits. */
  error: (error: GatewayError) => void;
  /** The stream ended, once: the far end vanished (`byCaller` false) or `close` was called. */
  closed: (event: { readonly reason: string; readonly byCaller: boolean }) => void;
}

/**
 * One open duplex byte channel: a serial port, a BLE GATT connection, a pty, an in-memory pipe.
 *
 * Contract:
 * - `write` queues bytes in order and never throws; pieces of two writes never interleave. A
 *   write that fails is reported as an `error` event; bytes written after `closed` are dropped.
 * - `data` carries what the far end wrote, in order; nothing is delivered after `closed`.
 * - `closed` is emitted exactly once, whether the far end vanished or `close` was called;
 *   `close` is idempotent and resolves once the medium is released.
 */
export interface ByteStream extends EventSource<ByteStreamEvents> {
  /** For logs: the port path, the peripheral id. */
  readonly name: string;
  readonly capabilities: ByteStreamCapabilities;
  readonly isOpen: boolean;
  write(bytes: Uint8Array): void;
  close(options?: CallOptions): Promise<void>;
}

/** A stream the provider opened, and who is expected on it when the provider knows. */
export interface ProvidedStream {
  readonly stream: ByteStream;
  /**
   * The subdevice this stream was opened for (a BLE connection made to a declared peripheral),
   * or undefined for a bus where the subdevices introduce themselves (a serial port).
   */
  readonly subdevice?: SubdeviceId;
}

export interface ByteStreamProviderEvents {
  [event: string]: (payload: never) => void;
  /** A stream is up. It ends with its own `closed` event; the provider opens the next one itself. */
  stream: (provided: ProvidedStream) => void;
  /** A fault no caller waits for (a reopen or connect attempt failed); the provider keeps trying. */
  error: (error: GatewayError) => void;
}

/**
 * Where byte streams to subdevices come from: a serial port path (one stream at a time, reopened
 * after the port vanished), a BLE central (one stream per connected peripheral).
 *
 * Contract:
 * - `open` resolves once the provider is listening (the port is open, the radio scans) and
 *   rejects with LinkError 'link.unavailable' when the medium is not there by the deadline.
 *   Streams then arrive as `stream` events; after a stream closes without `close` being called,
 *   the provider opens the next one by itself (with backoff) until `close`.
 * - `close` closes every open stream (each emits `closed` with `byCaller` true), stops opening
 *   new ones and resolves; it is idempotent, and `open` may be called again afterwards.
 */
export interface ByteStreamProvider extends EventSource<ByteStreamProviderEvents> {
  readonly name: string;
  open(options?: CallOptions): Promise<void>;
  close(options?: CallOptions): Promise<void>;
}
