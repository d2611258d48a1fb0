import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import {
  Backoff,
  LinkError,
  TypedEmitter,
  sameSubdevice,
  subdeviceKey,
  type CallOptions,
  type Clock,
  type FirmwareDeliveryResult,
  type LinkCapabilities,
  type Logger,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type SubdeviceLinkEvents,
  type Subscription,
} from '@iotgw/domain';
import { dataLine, parseLine } from './line-protocol.js';

/** A subdevice this link connects to. */
export interface TcpSubdevice {
  readonly subdevice: SubdeviceId;
  readonly host: string;
  readonly port: number;
}

export interface TcpJsonLinkOptions {
  readonly name: string;
  readonly subdevices: readonly TcpSubdevice[];
  readonly logger: Logger;
  readonly clock: Clock;
  /** Reconnect delays: from this, doubling up to 30 s. */
  readonly reconnectMs: number;
}

/**
 * A SubdeviceLink to subdevices that are TCP servers speaking line-based JSON (see
 * line-protocol.ts): one connection per subdevice, kept open with backoff. A subdevice is attached
 * once it said hello as itself; its `data` lines go up, the hub's payloads come down as `data`.
 */
export class TcpJsonLink implements SubdeviceLink {
  readonly name: string;
  readonly capabilities: LinkCapabilities = { maxPayloadSize: 64 * 1024, isReliable: false, supportsFirmware: false };
  readonly #events = new TypedEmitter<SubdeviceLinkEvents>();
  readonly #options: TcpJsonLinkOptions;
  readonly #attached = new Map<string, { attachment: SubdeviceAttachment; socket: Socket }>();
  readonly #sockets = new Set<Socket>();
  #stopping = new AbortController();

  constructor(options: TcpJsonLinkOptions) {
    this.name = options.name;
    this.#options = options;
  }

  on<K extends keyof SubdeviceLinkEvents & string>(event: K, listener: SubdeviceLinkEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  start(_options?: CallOptions): Promise<void> {
    this.#stopping = new AbortController();
    for (const target of this.#options.subdevices) void this.#keepConnected(target, this.#stopping.signal); // runs until stop
    return Promise.resolve();
  }

  async stop(_options?: CallOptions): Promise<void> {
    this.#stopping.abort();
    for (const socket of this.#sockets) socket.destroy();
    for (const { attachment } of [...this.#attached.values()]) this.#detach(attachment.subdevice, 'stopped');
    await Promise.resolve();
  }

  attachedSubdevices(): SubdeviceAttachment[] {
    return [...this.#attached.values()].map((a) => a.attachment);
  }

  async send(subdevice: SubdeviceId, payload: Uint8Array, _options?: CallOptions): Promise<void> {
    const attached = this.#attached.get(subdeviceKey(subdevice));
    if (!attached) throw new LinkError('link.unknown_subdevice', `${subdeviceKey(subdevice)} is not attached to link ${this.name}`);
    const socket = attached.socket;
    await new Promise<void>((resolve, reject) =>
      socket.write(dataLine(payload), (error) => (error ? reject(new LinkError('link.disconnected', `${subdeviceKey(subdevice)}: ${error.message}`)) : resolve())),
    );
  }

  deliverFirmware(subdevice: SubdeviceId): Promise<FirmwareDeliveryResult> {
    return Promise.reject(new LinkError('link.unavailable', `link ${this.name} cannot deliver firmware to ${subdeviceKey(subdevice)}`));
  }

  /** Connects, serves the connection until it closes, waits, and again, until the link stops. */
  async #keepConnected(target: TcpSubdevice, stopping: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialDelayMs: this.#options.reconnectMs, maxDelayMs: 30_000 });
    while (!stopping.aborted) {
      const greeted = await this.#serve(target);
      if (greeted) backoff.reset();
      await this.#options.clock.sleep(backoff.next(), stopping).catch(() => undefined);
    }
  }

  /** One connection's life; true when the subdevice said hello on it. */
  #serve(target: TcpSubdevice): Promise<boolean> {
    const key = subdeviceKey(target.subdevice);
    return new Promise((resolve) => {
      let greeted = false;
      const socket = createConnection({ host: target.host, port: target.port });
      this.#sockets.add(socket);
      socket.on('error', (error) => this.#options.logger.debug(`link ${this.name}: ${key} at ${target.host}:${target.port}: ${error.message}`));
      socket.on('close', () => {
        this.#sockets.delete(socket);
        if (this.#attached.get(key)?.socket === socket) this.#detach(target.subdevice, 'link_lost');
        resolve(greeted);
      });
      createInterface({ input: socket }).on('line', (line) => {
        const message = parseLine(line);
        if (!message) return this.#options.logger.warn(`link ${this.name}: ${key} sent a line that is not a message of this link; ignored`);
        if ('hello' in message) {
          const said = { productId: message.hello.productId, deviceName: message.hello.deviceName };
          if (!sameSubdevice(said, target.subdevice)) {
            this.#options.logger.warn(`link ${this.name}: ${target.host}:${target.port} is configured for ${key} but said hello as ${subdeviceKey(said)}: fix the config or the device`);
            return void socket.destroy();
          }
          greeted = true;
          const attachment = { subdevice: target.subdevice, firmwareVersion: message.hello.version };
          this.#attached.set(key, { attachment, socket });
          this.#events.emit('attached', attachment);
        } else if (this.#attached.get(key)?.socket === socket) {
          this.#events.emit('data', { subdevice: target.subdevice, payload: new TextEncoder().encode(JSON.stringify(message.data)) });
        }
      });
    });
  }

  #detach(subdevice: SubdeviceId, reason: 'link_lost' | 'stopped'): void {
    this.#attached.delete(subdeviceKey(subdevice));
    this.#events.emit('detached', { subdevice, reason });
  }
}
