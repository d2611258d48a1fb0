import {
  LinkError,
  TimeoutError,
  TypedEmitter,
  withDeadline,
  type ByteStreamProvider,
  type ByteStreamProviderEvents,
  type CallOptions,
  type Subscription,
} from '@iotgw/domain';
import { SerialPortStream } from './serial-port-stream.js';

export interface SerialStreamProviderOptions {
  /** Device path, e.g. /dev/ttyUSB0 or a pty. */
  readonly path: string;
  /** Default 115200 (8N1). */
  readonly baudRate?: number;
  /** Retry opening a missing or vanished port this often. Default 500 ms. */
  readonly reopenIntervalMs?: number;
}

/**
 * Byte streams from one serial port path: `open` opens it (retrying while it is not there yet, a
 * USB adapter may still be enumerating); when the port vanishes (unplug, pty closed) it reopens
 * the same path until it is back, and each open is a new stream. It never calls
 * `SerialPort.list()` (that spawns `udevadm`).
 */
export class SerialStreamProvider implements ByteStreamProvider {
  readonly name: string;
  readonly #events = new TypedEmitter<ByteStreamProviderEvents>();
  readonly #options: SerialStreamProviderOptions;
  #current: SerialPortStream | undefined;
  #running = false;
  #reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SerialStreamProviderOptions) {
    this.#options = options;
    this.name = `serial:${options.path}`;
  }

  on<K extends keyof ByteStreamProviderEvents & string>(event: K, listener: ByteStreamProviderEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  async open(options: CallOptions = {}): Promise<void> {
    if (this.#running) return;
    const { path } = this.#options;
    let lastFailure: Error | undefined;
    const stream = await withDeadline(`open serial port ${path}`, options, 10_000, async (signal) => {
      for (;;) {
        try {
          return await SerialPortStream.open(path, this.#options.baudRate);
        } catch (error) {
          lastFailure = error as Error;
          if (signal.aborted) throw error;
          await new Promise((resolve) => setTimeout(resolve, this.#options.reopenIntervalMs ?? 500));
          if (signal.aborted) throw error;
        }
      }
    }).catch((error: unknown) => {
      if (error instanceof TimeoutError) {
        // Retried until the deadline; the last reason is what to act on.
        const why = lastFailure ? `: ${lastFailure.message}` : '';
        throw new LinkError(
          'link.unavailable',
          `serial port ${path} could not be opened within ${error.timeoutMs} ms${why} (is the device plugged in, and is the link's path right?)`,
          { cause: lastFailure ?? error },
        );
      }
      throw error;
    });
    this.#running = true;
    this.#provide(stream);
  }

  async close(): Promise<void> {
    this.#running = false;
    if (this.#reopenTimer) clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const current = this.#current;
    this.#current = undefined;
    await current?.close();
  }

  #provide(stream: SerialPortStream): void {
    if (!this.#running) {
      void stream.close();
      return;
    }
    this.#current = stream;
    stream.on('closed', ({ byCaller }) => {
      if (this.#current === stream) this.#current = undefined;
      if (!byCaller) this.#scheduleReopen();
    });
    this.#events.emit('stream', { stream });
  }

  /** The port went away: try the same path again until it is back or the provider closes. */
  #scheduleReopen(): void {
    if (!this.#running || this.#reopenTimer) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      if (!this.#running) return;
      SerialPortStream.open(this.#options.path, this.#options.baudRate).then(
        (stream) => this.#provide(stream),
        () => this.#scheduleReopen(),
      );
    }, this.#options.reopenIntervalMs ?? 500);
  }
}
