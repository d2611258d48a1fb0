import { TypedEmitter, type ByteStream, type ByteStreamCapabilities, type ByteStreamEvents, type Subscription } from '@iotgw/domain';

/** ATT opcode + handle in every Write Command / Handle Value Notification. */
export const ATT_HEADER_BYTES = 3;

/**
 * The peripheral end of one simulated GATT connection, as firmware sees it: a ByteStream whose
 * `data` is what the central wrote to RX (one event per ATT write) and whose `write` sends TX
 * notifications of at most `mtu - 3` bytes each, split like real firmware must. `close` is the
 * peripheral dropping the link (a reset, walking out of range).
 */
export class SimulatedPeripheralSession implements ByteStream {
  readonly name: string;
  readonly mtu: number;
  readonly capabilities: ByteStreamCapabilities;
  readonly #events = new TypedEmitter<ByteStreamEvents>();
  readonly #notify: (piece: Uint8Array) => void;
  readonly #drop: (reason: string) => void;
  #open = true;

  constructor(peripheralId: string, mtu: number, notify: (piece: Uint8Array) => void, drop: (reason: string) => void) {
    this.name = `ble-peripheral:${peripheralId}`;
    this.mtu = mtu;
    this.capabilities = { maxChunkSize: mtu - ATT_HEADER_BYTES };
    this.#notify = notify;
    this.#drop = drop;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  on<K extends keyof ByteStreamEvents & string>(event: K, listener: ByteStreamEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  write(bytes: Uint8Array): void {
    if (!this.#open) return;
    const max = this.mtu - ATT_HEADER_BYTES;
    for (let offset = 0; offset < bytes.length; offset += max) this.#notify(bytes.slice(offset, Math.min(bytes.length, offset + max)));
  }

  close(): Promise<void> {
    this.#drop('peripheral disconnected');
    return Promise.resolve();
  }

  /** @internal the connection delivers a central write. */
  receive(bytes: Uint8Array): void {
    if (this.#open) this.#events.emit('data', bytes);
  }

  /** @internal the connection went down (either side). */
  end(reason: string, byCaller: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    this.#events.emit('closed', { reason, byCaller });
    this.#events.clear();
  }
}
