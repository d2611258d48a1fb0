import {
  CancelledError,
  LinkError,
  TimeoutError,
  TypedEmitter,
  ValidationError,
  subdeviceId,
  subdeviceKey,
  toGatewayError,
  withDeadline,
  type CallOptions,
  type DeliverFirmwareOptions,
  type DetachReason,
  type FirmwareDeliveryResult,
  type FirmwareImage,
  type LinkCapabilities,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type SubdeviceLinkEvents,
  type Subscription,
} from '@iotgw/domain';
import {
  DEFAULT_MAX_FRAME_SIZE,
  GatewayEngine,
  HEADER_SIZE,
  LinkProtocolError,
  crcSize,
  type PeerDetachReason,
  type PeerInfo,
} from '@iotgw/link-protocol';
import { SerialPort } from 'serialport';
import type { SerialSubdeviceLinkOptions } from './serial-subdevice-link.options.js';

const detachReasonOf: Record<PeerDetachReason, DetachReason> = {
  keepalive_timeout: 'keepalive_timeout',
  goodbye: 'goodbye',
  rehello: 'link_lost',
  link_lost: 'link_lost',
  stopped: 'stopped',
};

/**
 * SubdeviceLink over one serial port carrying the iotgw link protocol. Several subdevices may
 * share the port (RS-485 multi-drop), each at its own address. The port is reopened when it
 * vanishes (USB unplug) and the subdevices reattach by themselves.
 */
export class SerialSubdeviceLink implements SubdeviceLink {
  readonly name: string;
  readonly capabilities: LinkCapabilities;
  readonly #events = new TypedEmitter<SubdeviceLinkEvents>();
  readonly #engine: GatewayEngine;
  readonly #attached = new Map<string, { address: number; attachment: SubdeviceAttachment }>();
  #port: SerialPort | undefined;
  #running = false;
  #reopenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: SerialSubdeviceLinkOptions) {
    if (!options.path) throw new ValidationError('serial link needs a port path (option "path"), e.g. /dev/ttyUSB0');
    this.name = options.name ?? `serial:${options.path}`;
    const maxFrame = options.framing?.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.capabilities = {
      maxPayloadSize: maxFrame - HEADER_SIZE - crcSize(options.framing?.crc ?? 'crc32c'),
      isReliable: true,
      supportsFirmware: true,
    };
    // Timeouts must outlast the bytes queued on a slow line, or every queued frame is sent twice.
    const bytesPerMs = (options.baudRate ?? 115_200) / 10 / 1000;
    const window = options.firmware?.window ?? 4;
    const chunk = options.firmware?.chunkSize ?? 512;
    const frameMs = maxFrame / bytesPerMs;
    const retransmitMs = Math.max(options.firmware?.retransmitMs ?? 1000, Math.ceil((2 * window * (chunk + 24)) / bytesPerMs) + 100);
    this.#engine = new GatewayEngine(
      {
        transmit: (bytes) => this.#write(bytes),
        attached: (peer) => this.#onAttached(peer),
        detached: (peer, reason) => this.#onDetached(peer, reason),
        data: (peer, payload) => {
          const entry = this.#entryAt(peer.address);
          if (entry) this.#events.emit('data', { subdevice: entry.attachment.subdevice, payload });
        },
      },
      {
        framing: options.framing,
        keepaliveIntervalMs: options.keepaliveIntervalMs,
        keepaliveTimeoutMs: options.keepaliveTimeoutMs,
        ackTimeoutMs: Math.max(300, Math.ceil(3 * frameMs) + 50),
        firmware: { ...options.firmware, retransmitMs },
      },
    );
  }

  on<K extends keyof SubdeviceLinkEvents & string>(event: K, listener: SubdeviceLinkEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  attachedSubdevices(): SubdeviceAttachment[] {
    return [...this.#attached.values()].map((e) => e.attachment);
  }

  /** Opens the port (retrying until the deadline if it is not there yet). */
  async start(options: CallOptions = {}): Promise<void> {
    if (this.#running) return;
    let lastFailure: Error | undefined;
    await withDeadline(`open serial port ${this.options.path}`, options, 10_000, async (signal) => {
      for (;;) {
        try {
          await this.#open();
          return;
        } catch (error) {
          lastFailure = error as Error;
          if (signal.aborted) throw error;
          await new Promise((resolve) => setTimeout(resolve, this.options.reopenIntervalMs ?? 500));
          if (signal.aborted) throw new LinkError('link.unavailable', `serial port ${this.options.path} could not be opened`, { cause: error });
        }
      }
    }).catch((error: unknown) => {
      this.#closePort();
      if (error instanceof TimeoutError) {
        // Retried until the deadline (a USB adapter may still be enumerating); the last reason is what to act on.
        const why = lastFailure ? `: ${lastFailure.message}` : '';
        throw new LinkError(
          'link.unavailable',
          `serial port ${this.options.path} could not be opened within ${error.timeoutMs} ms${why} (is the device plugged in, and is the link's path right?)`,
          { cause: lastFailure ?? error },
        );
      }
      throw error;
    });
    this.#running = true;
    this.#engine.start();
  }

  async stop(_options: CallOptions = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#reopenTimer) clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    this.#engine.stop();
    await new Promise<void>((resolve) => {
      const port = this.#port;
      this.#port = undefined;
      if (!port?.isOpen) return resolve();
      port.removeAllListeners('close');
      port.close(() => resolve());
    });
  }

  async send(subdevice: SubdeviceId, payload: Uint8Array, options: CallOptions = {}): Promise<void> {
    const entry = this.#require(subdevice);
    if (payload.length > this.capabilities.maxPayloadSize) {
      throw new ValidationError(
        `payload of ${payload.length} bytes is larger than this link's maxPayloadSize ${this.capabilities.maxPayloadSize}: split it in the application`,
      );
    }
    await withDeadline(`send to ${subdeviceKey(subdevice)}`, options, this.options.sendTimeoutMs ?? 5000, () =>
      this.#engine.sendData(entry.address, payload).catch((e: unknown) => {
        throw this.#mapError(e, subdevice);
      }),
    );
  }

  async deliverFirmware(subdevice: SubdeviceId, image: FirmwareImage, options: DeliverFirmwareOptions = {}): Promise<FirmwareDeliveryResult> {
    const entry = this.#require(subdevice);
    const md5 = Uint8Array.from(Buffer.from(image.md5, 'hex'));
    if (md5.length !== 16) throw new ValidationError(`image md5 ${JSON.stringify(image.md5)} must be 32 hex digits`);
    const what = `firmware ${image.job.version} to ${subdeviceKey(subdevice)}`;
    try {
      return await withDeadline(what, options, this.options.firmwareTimeoutMs ?? 30 * 60_000, async (signal) => {
        signal.addEventListener('abort', () => this.#engine.cancelFirmware(entry.address, `${what} aborted`), { once: true });
        const outcome = await this.#engine.deliverFirmware(
          entry.address,
          { version: image.job.version, size: image.size, md5, read: (offset, length) => image.read(offset, length, { signal }) },
          (p) => options.onProgress?.({ phase: p.phase, bytes: p.bytes, total: p.total, percent: p.percent }),
        );
        return outcome.ok ? { ok: true as const, version: outcome.version } : { ok: false as const, code: outcome.code, message: outcome.message };
      });
    } catch (error) {
      if (error instanceof CancelledError || error instanceof TimeoutError) throw error;
      throw this.#mapError(error, subdevice);
    }
  }

  #require(subdevice: SubdeviceId): { address: number; attachment: SubdeviceAttachment } {
    const entry = this.#running ? this.#attached.get(subdeviceKey(subdevice)) : undefined;
    if (!entry) throw new LinkError('link.unknown_subdevice', `${subdeviceKey(subdevice)} is not attached to ${this.name}`);
    return entry;
  }

  #mapError(error: unknown, subdevice: SubdeviceId): Error {
    if (error instanceof LinkProtocolError) {
      if (error.reason === 'busy') return new LinkError('link.protocol', error.message, { cause: error });
      if (error.reason === 'read_failed') return toGatewayError(error.cause ?? error, `reading the image for ${subdeviceKey(subdevice)}`);
      return new LinkError('link.disconnected', `${subdeviceKey(subdevice)} on ${this.name}: ${error.message}`, { cause: error });
    }
    return toGatewayError(error);
  }

  #entryAt(address: number): { address: number; attachment: SubdeviceAttachment } | undefined {
    for (const entry of this.#attached.values()) if (entry.address === address) return entry;
    return undefined;
  }

  #onAttached(peer: PeerInfo): void {
    let subdevice: SubdeviceId;
    try {
      subdevice = subdeviceId(peer.productId, peer.deviceName);
    } catch (error) {
      this.#events.emit('error', toGatewayError(error, `subdevice at address ${peer.address} announced a bad identity`));
      return;
    }
    const attachment: SubdeviceAttachment = { subdevice, firmwareVersion: peer.firmwareVersion };
    this.#attached.set(subdeviceKey(subdevice), { address: peer.address, attachment });
    this.#events.emit('attached', attachment);
  }

  #onDetached(peer: PeerInfo, reason: PeerDetachReason): void {
    const entry = this.#entryAt(peer.address);
    if (!entry) return;
    this.#attached.delete(subdeviceKey(entry.attachment.subdevice));
    this.#events.emit('detached', { subdevice: entry.attachment.subdevice, reason: detachReasonOf[reason] });
  }

  #write(bytes: Uint8Array): void {
    const port = this.#port;
    // Nothing to write to while the port is away: the protocol's retransmissions cover the gap.
    if (!port?.isOpen) return;
    port.write(Buffer.from(bytes), (error) => {
      if (error) this.#events.emit('error', new LinkError('link.disconnected', `write to ${this.options.path} failed`, { cause: error }));
    });
  }

  #open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate ?? 115_200, autoOpen: false });
      port.open((error) => {
        if (error) {
          reject(new LinkError('link.unavailable', `cannot open serial port ${this.options.path}: ${error.message}`, { cause: error }));
          return;
        }
        this.#port = port;
        this.#engine.resetStream();
        port.on('data', (chunk: Buffer) => this.#engine.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
        port.on('error', (err: Error) => {
          this.#events.emit('error', new LinkError('link.disconnected', `serial port ${this.options.path}: ${err.message}`, { cause: err }));
          this.#lost(port);
        });
        port.on('close', () => this.#lost(port));
        resolve();
      });
    });
  }

  #closePort(): void {
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) port.close(() => undefined);
  }

  /** The port went away: everyone on it is gone; try to reopen until stopped. */
  #lost(port: SerialPort): void {
    if (this.#port !== port) return;
    this.#port = undefined;
    port.removeAllListeners('data');
    if (port.isOpen) port.close(() => undefined);
    this.#engine.detachAll('link_lost');
    this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (!this.#running || this.#reopenTimer) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = undefined;
      if (!this.#running) return;
      this.#open().catch(() => this.#scheduleReopen());
    }, this.options.reopenIntervalMs ?? 500);
  }
}
