import {
  LinkError,
  TypedEmitter,
  toGatewayError,
  type ByteStream,
  type ByteStreamCapabilities,
  type ByteStreamEvents,
  type CallOptions,
  type Subscription,
} from '@iotgw/domain';
import type { BleConnection, BleGattChannel } from './ble-central.port.js';
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

/**
 * One GATT connection's RX/TX characteristics as a ByteStream. `write` fragments to the MTU and
 * serialises writes so pieces of two frames never interleave; notifications are passed on in
 * order (frames are delimited, so reassembly is the framer's job). The connection dropping ends
 * the stream; `close` disconnects it.
 */
export class BleByteStream implements ByteStream {
  readonly name: string;
  readonly mtu: number;
  readonly capabilities: ByteStreamCapabilities;
  readonly #channel: BleGattChannel;
  readonly #connection: BleConnection;
  readonly #events = new TypedEmitter<ByteStreamEvents>();
  readonly #subscriptions: Subscription[];
  #tail: Promise<void> = Promise.resolve();
  #bytesWritten = 0;
  #writes = 0;
  #open = true;
  #closing: Promise<void> | undefined;

  constructor(channel: BleGattChannel, connection: BleConnection) {
    this.mtu = connection.mtu;
    this.capabilities = { maxChunkSize: attPayloadSize(connection.mtu) };
    this.name = `ble:${connection.peripheralId}`;
    this.#channel = channel;
    this.#connection = connection;
    this.#subscriptions = [
      channel.onNotify((bytes) => {
        if (this.#open) this.#events.emit('data', bytes);
      }),
      connection.onDisconnect((reason) => this.#end(reason, false)),
    ];
    if (!connection.connected) this.#end('not connected', false);
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Bytes and ATT writes handed to the radio so far (for tests and metrics). */
  get stats(): { readonly bytesWritten: number; readonly writes: number } {
    return { bytesWritten: this.#bytesWritten, writes: this.#writes };
  }

  on<K extends keyof ByteStreamEvents & string>(event: K, listener: ByteStreamEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  write(bytes: Uint8Array): void {
    if (!this.#open) return;
    const pieces = fragment(bytes, this.mtu);
    this.#tail = this.#tail.then(async () => {
      for (const piece of pieces) {
        if (!this.#open) return;
        try {
          await this.#channel.write(piece);
        } catch (error) {
          // A write failing because the link dropped is reported by `closed`; anything else here.
          if (this.#open && this.#connection.connected) this.#events.emit('error', toGatewayError(error, `BLE write to ${this.name} failed`));
          return;
        }
        this.#bytesWritten += piece.length;
        this.#writes += 1;
      }
    });
  }

  /** Resolves once every byte written so far was handed to the radio (or dropped with the link). */
  async drain(options: CallOptions = {}): Promise<void> {
    if (options.signal?.aborted) throw new LinkError('link.disconnected', 'BLE drain cancelled');
    await this.#tail;
  }

  close(options: CallOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#end('closed by the gateway', true);
      await this.#connection.disconnect(options).catch(() => undefined);
    })();
    return this.#closing;
  }

  #end(reason: string, byCaller: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    for (const s of this.#subscriptions) s.close();
    this.#events.emit('closed', { reason, byCaller });
    this.#events.clear();
  }
}
