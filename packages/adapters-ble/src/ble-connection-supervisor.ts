import { type CallOptions, type GatewayError, type Subscription, toGatewayError } from '@iotgw/domain';
import type { BleAdvertisement, BleCentral, BleConnection } from './ble-central.port.js';
import { BleByteStream } from './ble-byte-stream.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { GattProfile } from './gatt-profile.js';
import { type DeclaredBleSubdevice, matchesAdvertisement } from './subdevice-match.js';

export interface SupervisorOptions {
  readonly central: BleCentral;
  readonly profile: GattProfile;
  readonly subdevices: readonly DeclaredBleSubdevice[];
  /** Only advertisements of these services are considered; default all (names are matched instead). */
  readonly scanServices?: readonly string[];
  /** ATT MTU to ask for. Default 247. */
  readonly mtu?: number;
  readonly connectTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  /** Called when a declared subdevice's byte stream is up (after connect + GATT discovery). */
  readonly onUp: (declared: DeclaredBleSubdevice, stream: BleByteStream, connection: BleConnection) => void;
  /** Called once per lost stream, after which the supervisor reconnects on its own. */
  readonly onDown: (declared: DeclaredBleSubdevice, reason: string) => void;
  readonly onError: (declared: DeclaredBleSubdevice, error: GatewayError) => void;
  readonly now?: () => number;
}

type Slot =
  | { state: 'idle'; retryAt: number }
  | { state: 'connecting' }
  | { state: 'up'; connection: BleConnection; stream: BleByteStream };

/**
 * Keeps every declared subdevice connected: one shared scan, advertisements matched to declared
 * subdevices, connect + open the GATT profile, and after a lost or failed connection wait with
 * exponential backoff before the next advertisement may trigger a reconnect. Knows nothing about
 * the link protocol above the byte stream.
 */
export class BleConnectionSupervisor {
  readonly #options: SupervisorOptions;
  readonly #slots = new Map<DeclaredBleSubdevice, Slot>();
  readonly #backoffs = new Map<DeclaredBleSubdevice, Backoff>();
  readonly #now: () => number;
  #scan: Subscription | undefined;
  #running = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    for (const d of options.subdevices) {
      this.#slots.set(d, { state: 'idle', retryAt: 0 });
      this.#backoffs.set(d, new Backoff(options.backoff));
    }
  }

  async start(options: CallOptions = {}): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      this.#scan = await this.#options.central.scan({ services: this.#options.scanServices ?? [] }, (ad) => this.#onAdvertisement(ad), options);
    } catch (error) {
      this.#running = false;
      throw error;
    }
  }

  /** Stops scanning and drops every connection (no onDown calls after this). */
  async stop(options: CallOptions = {}): Promise<void> {
    this.#running = false;
    this.#scan?.close();
    this.#scan = undefined;
    const drops: Promise<void>[] = [];
    for (const [declared, slot] of this.#slots) {
      if (slot.state === 'up') {
        slot.stream.close();
        drops.push(slot.connection.disconnect(options).catch(() => undefined));
      }
      this.#slots.set(declared, { state: 'idle', retryAt: 0 });
    }
    await Promise.all(drops);
  }

  /** The session above says this connection works (it attached): reset its backoff. */
  markHealthy(declared: DeclaredBleSubdevice): void {
    this.#backoffs.get(declared)?.reset();
  }

  /** Failed connection attempts in a row for this subdevice (for tests and metrics). */
  failures(declared: DeclaredBleSubdevice): number {
    return this.#backoffs.get(declared)?.failures ?? 0;
  }

  #onAdvertisement(ad: BleAdvertisement): void {
    if (!this.#running) return;
    for (const [declared, slot] of this.#slots) {
      if (slot.state !== 'idle' || this.#now() < slot.retryAt) continue;
      if (!matchesAdvertisement(declared, ad)) continue;
      this.#slots.set(declared, { state: 'connecting' });
      // Runs on its own; its outcome lands in the slot and in the callbacks.
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
      const stream = new BleByteStream(channel, connection.mtu);
      const up: Slot = { state: 'up', connection, stream };
      this.#slots.set(declared, up);
      connection.onDisconnect((reason) => {
        stream.close();
        if (this.#slots.get(declared) !== up) return;
        this.#retryLater(declared);
        this.#options.onDown(declared, reason);
      });
      this.#options.onUp(declared, stream, connection);
    } catch (error) {
      await connection?.disconnect().catch(() => undefined);
      if (!this.#running) return;
      this.#retryLater(declared);
      this.#options.onError(declared, toGatewayError(error, `BLE connect to ${peripheralId} failed`));
    }
  }

  #retryLater(declared: DeclaredBleSubdevice): void {
    const delay = this.#backoffs.get(declared)?.next() ?? 1_000;
    this.#slots.set(declared, { state: 'idle', retryAt: this.#now() + delay });
  }
}
