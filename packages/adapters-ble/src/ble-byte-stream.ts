import { type CallOptions, type Subscription, TypedEmitter, throwIfAborted } from '@iotgw/domain';
import type { BleGattChannel } from './ble-central.port.js';
import { attPayloadSize } from './gatt-profile.js';

/** Splits `bytes` into ATT-payload-sized pieces for this MTU, in order, without copying. */
export function fragment(bytes: Uint8Array, mtu: number): Uint8Array[] {
  const size = attPayloadSize(mtu);
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    pieces.push(bytes.subarray(offset, Math.min(bytes.length, offset + size)));
  }
  return pieces;
}

interface ByteStreamEvents {
  [event: string]: (payload: never) => void;
  data: (bytes: Uint8Array) => void;
}

/**
 * An ordered byte stream over the profile's RX/TX characteristics, the shape link-protocol's framer
 * expects from a serial port. `write` fragments to the MTU and serialises writes so pieces of two
 * frames never interleave; incoming notifications are passed on in order (reassembly of frames is
 * the framer's job, since frames are delimited).
 */
export class BleByteStream {
  readonly mtu: number;
  readonly #channel: BleGattChannel;
  readonly #events = new TypedEmitter<ByteStreamEvents>();
  readonly #notify: Subscription;
  #tail: Promise<void> = Promise.resolve();
  #bytesWritten = 0;
  #writes = 0;

  constructor(channel: BleGattChannel, mtu: number) {
    attPayloadSize(mtu);
    this.mtu = mtu;
    this.#channel = channel;
    this.#notify = channel.onNotify((bytes) => this.#events.emit('data', bytes));
  }

  /** Bytes and ATT writes sent so far (for tests and metrics). */
  get stats(): { readonly bytesWritten: number; readonly writes: number } {
    return { bytesWritten: this.#bytesWritten, writes: this.#writes };
  }

  /** Resolves when every piece of `bytes` was handed to the radio, in order after earlier writes. */
  write(bytes: Uint8Array, options: CallOptions = {}): Promise<void> {
    const run = async (): Promise<void> => {
      for (const piece of fragment(bytes, this.mtu)) {
        throwIfAborted(options.signal, 'BLE write');
        await this.#channel.write(piece, options);
        this.#bytesWritten += piece.length;
        this.#writes += 1;
      }
    };
    const result = this.#tail.then(run);
    // The queue must survive a failed write; the caller still sees the failure through `result`.
    this.#tail = result.catch(() => undefined);
    return result;
  }

  onData(listener: (bytes: Uint8Array) => void): Subscription {
    return this.#events.on('data', listener);
  }

  close(): void {
    this.#notify.close();
    this.#events.clear();
  }
}
