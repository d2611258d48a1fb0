import {
  Backoff,
  TypedEmitter,
  toGatewayError,
  type BackoffPolicyOptions,
  type ByteStreamProvider,
  type ByteStreamProviderEvents,
  type CallOptions,
  type Subscription,
} from '@iotgw/domain';
import type { BleAdvertisement, BleCentral, BleConnection } from './ble-central.port.js';
import { BleByteStream } from './ble-byte-stream.js';
import type { GattProfile } from './gatt-profile.js';
import { type DeclaredBleSubdevice, matchesAdvertisement } from './subdevice-match.js';

export interface BleStreamProviderOptions {
  readonly central: BleCentral;
  readonly profile: GattProfile;
  readonly subdevices: readonly DeclaredBleSubdevice[];
  /** Only advertisements of these services are considered; default all (names are matched instead). */
  readonly scanServices?: readonly string[];
  /** ATT MTU to ask for. Default 247. */
  readonly mtu?: number;
  readonly connectTimeoutMs?: number;
  /** Reconnect delays (the domain's one backoff policy). Default 200 ms doubling to 10 s, no jitter. */
  readonly backoff?: BackoffPolicyOptions;
  readonly now?: () => number;
}

type Slot = { state: 'idle'; retryAt: number } | { state: 'connecting' } | { state: 'up'; stream: BleByteStream };

/**
 * Byte streams over BLE: one shared scan, advertisements matched to the declared subdevices,
 * connect + open the GATT profile, and each connection is a stream opened for its declared
 * subdevice. After a lost or failed connection it waits with exponential backoff before the next
 * advertisement may trigger a reconnect; a connection that carried bytes resets the backoff.
 * Knows nothing about the link protocol above the bytes.
 */
export class BleStreamProvider implements ByteStreamProvider {
  readonly name: string;
  readonly #options: BleStreamProviderOptions;
  readonly #events = new TypedEmitter<ByteStreamProviderEvents>();
  readonly #slots = new Map<DeclaredBleSubdevice, Slot>();
  readonly #backoffs = new Map<DeclaredBleSubdevice, Backoff>();
  readonly #now: () => number;
  #scan: Subscription | undefined;
  #running = false;

  constructor(options: BleStreamProviderOptions) {
    this.#options = options;
    this.name = `ble:${options.central.name}`;
    this.#now = options.now ?? Date.now;
    for (const d of options.subdevices) {
      this.#slots.set(d, { state: 'idle', retryAt: 0 });
      this.#backoffs.set(d, new Backoff({ initialDelayMs: 200, maxDelayMs: 10_000, ...options.backoff }));
    }
  }

  on<K extends keyof ByteStreamProviderEvents & string>(event: K, listener: ByteStreamProviderEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** Starts scanning; rejects LinkError 'link.unavailable' when there is no usable radio. */
  async open(options: CallOptions = {}): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      this.#scan = await this.#options.central.scan({ services: this.#options.scanServices ?? [] }, (ad) => this.#onAdvertisement(ad), options);
    } catch (error) {
      this.#running = false;
      throw error;
    }
  }

  /** Stops scanning and closes every connection (no reconnect after this). */
  async close(options: CallOptions = {}): Promise<void> {
    this.#running = false;
    this.#scan?.close();
    this.#scan = undefined;
    const closing: Promise<void>[] = [];
    for (const [declared, slot] of this.#slots) {
      if (slot.state === 'up') closing.push(slot.stream.close(options));
      this.#slots.set(declared, { state: 'idle', retryAt: 0 });
    }
    await Promise.all(closing);
  }

  /** Failed connections in a row for this subdevice (for tests and metrics). */
  failures(declared: DeclaredBleSubdevice): number {
    return this.#backoffs.get(declared)?.failures ?? 0;
  }

  #onAdvertisement(ad: BleAdvertisement): void {
    if (!this.#running) return;
    for (const [declared, slot] of this.#slots) {
      if (slot.state !== 'idle' || this.#now() < slot.retryAt) continue;
      if (!matchesAdvertisement(declared, ad)) continue;
      this.#slots.set(declared, { state: 'connecting' });
      // Runs on its own; its outcome lands in the slot and in the events.
      void this.#connect(declared, ad.id);
      return;
    }
  }

  async #connect(declared: DeclaredBleSubdevice, peripheralId: string): Promise<void> {
    const { central, profile } = this.#options;
    let connection: BleConnection | undefined;
    try {
      const callOptions = { timeoutMs: this.#options.connectTimeoutMs ?? 10_000 };
      connection = await central.connect(peripheralId, { ...callOptions, mtu: this.#options.mtu ?? 247 });
      const channel = await connection.openChannel(profile, callOptions);
      if (!this.#running) {
        await connection.disconnect().catch(() => undefined);
        return;
      }
      if (!connection.connected) throw new Error('connection dropped during GATT discovery');
      const stream = new BleByteStream(channel, connection);
      const up: Slot = { state: 'up', stream };
      this.#slots.set(declared, up);
      const first = stream.on('data', () => {
        first.close();
        this.#backoffs.get(declared)?.reset();
      });
      stream.on('closed', () => {
        if (this.#slots.get(declared) === up) this.#retryLater(declared);
      });
      this.#events.emit('stream', { stream, subdevice: declared.subdevice });
    } catch (error) {
      await connection?.disconnect().catch(() => undefined);
      if (!this.#running) return;
      this.#retryLater(declared);
      this.#events.emit('error', toGatewayError(error, `BLE connect to ${peripheralId} failed`));
    }
  }

  #retryLater(declared: DeclaredBleSubdevice): void {
    const delay = this.#backoffs.get(declared)?.next() ?? 1_000;
    this.#slots.set(declared, { state: 'idle', retryAt: this.#now() + delay });
  }
}
