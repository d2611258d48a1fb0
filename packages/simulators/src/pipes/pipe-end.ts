import { TypedEmitter, type ByteStream, type ByteStreamCapabilities, type ByteStreamEvents, type Subscription } from '@iotgw/domain';

/**
 * One end of a simulated cable: a ByteStream whose writes go to a sink (the pipe carries them to
 * the other end) and whose `data` comes from `receive`. Closing either end closes both, as
 * pulling a cable does.
 */
export class PipeEnd implements ByteStream {
  readonly name: string;
  readonly capabilities: ByteStreamCapabilities;
  readonly #events = new TypedEmitter<ByteStreamEvents>();
  #sink: ((bytes: Uint8Array) => void) | undefined;
  #other: PipeEnd | undefined;
  #open = true;

  constructor(name: string, capabilities: ByteStreamCapabilities = {}) {
    this.name = name;
    this.capabilities = capabilities;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Wires this end: where its writes go, and the end that closes with it. */
  connect(sink: (bytes: Uint8Array) => void, other: PipeEnd): void {
    this.#sink = sink;
    this.#other = other;
  }

  on<K extends keyof ByteStreamEvents & string>(event: K, listener: ByteStreamEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  write(bytes: Uint8Array): void {
    if (this.#open) this.#sink?.(bytes);
  }

  /** Delivers bytes to this end's listeners (called by the pipe). */
  receive(bytes: Uint8Array): void {
    if (this.#open) this.#events.emit('data', bytes);
  }

  close(): Promise<void> {
    this.#end('closed by this end', true);
    this.#other?.end('closed by the other end');
    return Promise.resolve();
  }

  /** @internal the other end closed the cable. */
  end(reason: string): void {
    this.#end(reason, false);
  }

  #end(reason: string, byCaller: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    this.#events.emit('closed', { reason, byCaller });
    this.#events.clear();
  }
}
