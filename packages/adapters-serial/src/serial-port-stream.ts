import { LinkError, TypedEmitter, type ByteStream, type ByteStreamCapabilities, type ByteStreamEvents, type Subscription } from '@iotgw/domain';
import { SerialPortStream as PortStream } from '@serialport/stream';
import { hangupAwareBinding } from './hangup-aware-binding.js';

/**
 * An open serial port (a UART, USB CDC, a pty) as a ByteStream. Used on both ends: by the gateway's
 * serial link (through SerialStreamProvider) and by simulated subdevices on the far end of a pty.
 */
export class SerialPortStream implements ByteStream {
  readonly name: string;
  readonly capabilities: ByteStreamCapabilities;
  readonly #port: PortStream;
  readonly #events = new TypedEmitter<ByteStreamEvents>();
  #open = true;
  #closing: Promise<void> | undefined;

  /** Opens `path` at `baudRate` (8N1). Rejects LinkError 'link.unavailable' with the OS's reason. */
  static open(path: string, baudRate = 115_200): Promise<SerialPortStream> {
    return new Promise((resolve, reject) => {
      const port = new PortStream({ binding: hangupAwareBinding, path, baudRate, autoOpen: false });
      port.open((error) => {
        if (error) reject(new LinkError('link.unavailable', `cannot open serial port ${path}: ${error.message}`, { cause: error }));
        else resolve(new SerialPortStream(port, baudRate));
      });
    });
  }

  constructor(port: PortStream, baudRate: number) {
    this.#port = port;
    this.name = port.path;
    // 8N1: ten bits on the line per byte.
    this.capabilities = { bytesPerSecond: baudRate / 10 };
    port.on('data', (chunk: Buffer) => {
      if (this.#open) this.#events.emit('data', new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    port.on('error', (error: Error) => {
      this.#events.emit('error', new LinkError('link.disconnected', `serial port ${this.name}: ${error.message}`, { cause: error }));
      this.#end(`port error: ${error.message}`, false);
    });
    port.on('close', () => this.#end('the port closed (unplugged?)', false));
  }

  get isOpen(): boolean {
    return this.#open;
  }

  on<K extends keyof ByteStreamEvents & string>(event: K, listener: ByteStreamEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  write(bytes: Uint8Array): void {
    // Nothing to write to once the port is gone: the protocol's retransmissions cover the gap.
    if (!this.#open || !this.#port.isOpen) return;
    this.#port.write(Buffer.from(bytes), (error) => {
      if (error && this.#open) this.#events.emit('error', new LinkError('link.disconnected', `write to ${this.name} failed`, { cause: error }));
    });
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#end('closed by the gateway', true);
      if (!this.#port.isOpen) return resolve();
      this.#port.close(() => resolve());
    });
    return this.#closing;
  }

  #end(reason: string, byCaller: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    this.#events.emit('closed', { reason, byCaller });
    this.#events.clear();
    this.#port.removeAllListeners('data');
    if (!byCaller && this.#port.isOpen) this.#port.close(() => undefined);
  }
}
