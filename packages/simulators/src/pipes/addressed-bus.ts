import { TypedEmitter, type ByteStream, type ByteStreamEvents, type Subscription } from '@iotgw/domain';
import { BROADCAST_ADDRESS, encodeFrame, FrameDecoder, type FramingOptions } from '@iotgw/link-protocol';

/**
 * One multi-drop bus (a serial line of many subdevices) shared by many simulated subdevices in one
 * process. On a real bus every MCU decodes every frame on its own CPU; simulated in one process,
 * 250 subdevices each decoding every frame cost 250 decodes per frame and make the simulator, not
 * the gateway, the bottleneck. Here each frame is decoded once and handed, as wire bytes, only to
 * the subdevice it is addressed to (a broadcast to every one). Frames that fail their CRC are
 * dropped here, as each subdevice would drop them.
 */
export class AddressedBus {
  readonly #decoder: FrameDecoder;
  readonly #framing: FramingOptions;
  readonly #views = new Map<number, AddressedStream>();

  constructor(
    readonly stream: ByteStream,
    framing: FramingOptions = {},
  ) {
    this.#framing = framing;
    this.#decoder = new FrameDecoder(framing);
    stream.on('data', (bytes) => this.#route(bytes));
    stream.on('error', (error) => this.#views.forEach((v) => v.emit('error', error)));
    stream.on('closed', (event) => [...this.#views.values()].forEach((v) => v.end(event.reason, event.byCaller)));
  }

  /** The bus as the subdevice at `address` (1..254) sees it: only its own frames and broadcasts. */
  subdevice(address: number): ByteStream {
    if (!Number.isInteger(address) || address < 1 || address > 254) throw new RangeError(`a subdevice address is 1..254, got ${address}`);
    if (this.#views.has(address)) throw new RangeError(`address ${address} is already taken on ${this.stream.name}`);
    const view = new AddressedStream(this.stream, address, () => this.#views.delete(address));
    this.#views.set(address, view);
    return view;
  }

  #route(bytes: Uint8Array): void {
    for (const frame of this.#decoder.push(bytes)) {
      const wire = encodeFrame(frame, this.#framing);
      if (frame.address === BROADCAST_ADDRESS) this.#views.forEach((v) => v.emit('data', wire));
      else this.#views.get(frame.address)?.emit('data', wire);
    }
  }
}

/** One subdevice's view of the bus: its writes go onto the bus; closing it leaves the bus open. */
class AddressedStream implements ByteStream {
  readonly name: string;
  readonly #events = new TypedEmitter<ByteStreamEvents>();
  #open = true;

  constructor(
    private readonly bus: ByteStream,
    address: number,
    private readonly onClose: () => void,
  ) {
    this.name = `${bus.name}@${address}`;
  }

  get capabilities(): ByteStream['capabilities'] {
    return this.bus.capabilities;
  }

  get isOpen(): boolean {
    return this.#open && this.bus.isOpen;
  }

  on<K extends keyof ByteStreamEvents & string>(event: K, listener: ByteStreamEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  emit<K extends keyof ByteStreamEvents & string>(event: K, payload: Parameters<ByteStreamEvents[K]>[0]): void {
    if (this.#open) this.#events.emit(event, payload);
  }

  write(bytes: Uint8Array): void {
    if (this.#open) this.bus.write(bytes);
  }

  close(): Promise<void> {
    this.end('closed by this subdevice', true);
    return Promise.resolve();
  }

  end(reason: string, byCaller: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    this.onClose();
    this.#events.emit('closed', { reason, byCaller });
    this.#events.clear();
  }
}
