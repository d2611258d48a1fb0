import {
  type CallOptions,
  LinkError,
  type Subscription,
  TypedEmitter,
  ValidationError,
  withDeadline,
} from '@iotgw/domain';
import type { SimulatedBlePeripheral, SimulatedPeripheralSession } from './simulated-ble-peripheral.js';

// Structural copies of @iotgw/adapters-ble's BleCentral port: testkit may not depend on the
// adapter (the adapter's tests depend on testkit), and TypeScript checks the fit where both meet.
export interface SimulatedAdvertisement {
  readonly id: string;
  readonly localName: string | undefined;
  readonly serviceUuids: readonly string[];
  readonly manufacturerData: Uint8Array | undefined;
  readonly rssi: number;
}

export interface SimulatedGattProfile {
  readonly service: string;
  readonly rx: string;
  readonly tx: string;
}

export interface SimulatedBleCentralOptions {
  /** One-way delay of every ATT PDU (write or notification), ms. Default 0 (next turn of the loop). */
  readonly latencyMs?: number;
  /** How often each peripheral advertises while scanning, ms. Default 10. */
  readonly advertiseIntervalMs?: number;
  /** Pretend the radio is off: scan and connect reject with LinkError 'link.unavailable'. */
  readonly poweredOff?: boolean;
}

const ATT_HEADER_BYTES = 3;
const normalize = (uuid: string): string => uuid.replace(/-/g, '').toLowerCase();

interface Fault {
  /** Cut the link once the central has written this many bytes on the connection. */
  readonly afterCentralBytes: number;
}

/**
 * A BLE central over simulated radio, with test controls: latency, MTU (via each peripheral's
 * `maxMtu` and the central's ask), and disconnect injection (`disconnect`, `disconnectAfterBytes`,
 * peripheral `advertising = false` for out of range).
 */
export class SimulatedBleCentral {
  readonly name = 'simulated-ble';
  readonly latencyMs: number;
  readonly advertiseIntervalMs: number;
  poweredOff: boolean;
  readonly #peripherals = new Map<string, SimulatedBlePeripheral>();
  readonly #connections = new Map<string, SimulatedConnection>();
  readonly #faults = new Map<string, Fault>();
  readonly #scans = new Set<ReturnType<typeof setInterval>>();
  /** Number of successful connects, per peripheral (tests assert reconnects). */
  readonly connectCount = new Map<string, number>();

  constructor(options: SimulatedBleCentralOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.advertiseIntervalMs = options.advertiseIntervalMs ?? 10;
    this.poweredOff = options.poweredOff ?? false;
  }

  addPeripheral(peripheral: SimulatedBlePeripheral): void {
    this.#peripherals.set(peripheral.id, peripheral);
  }

  /** Test control: drop the live connection to this peripheral now. */
  disconnect(peripheralId: string, reason = 'connection lost (injected)'): void {
    this.#connections.get(peripheralId)?.drop(reason);
  }

  /** Test control: drop the next connection to this peripheral once the central wrote `bytes` on it. */
  disconnectAfterBytes(peripheralId: string, bytes: number): void {
    this.#faults.set(peripheralId, { afterCentralBytes: bytes });
  }

  async scan(
    filter: { readonly services?: readonly string[] },
    onFound: (advertisement: SimulatedAdvertisement) => void,
    options: CallOptions = {},
  ): Promise<Subscription> {
    return withDeadline('BLE scan start', options, 5_000, async () => {
      this.#assertPowered();
      await tick(0);
      const wanted = (filter.services ?? []).map(normalize);
      const advertise = (): void => {
        for (const p of this.#peripherals.values()) {
          if (!p.advertising) continue;
          if (wanted.length > 0 && !p.serviceUuids.some((u) => wanted.includes(normalize(u)))) continue;
          onFound({
            id: p.id,
            localName: p.localName,
            serviceUuids: p.serviceUuids,
            manufacturerData: p.manufacturerData,
            rssi: p.rssi,
          });
        }
      };
      const timer = setInterval(advertise, this.advertiseIntervalMs);
      this.#scans.add(timer);
      setImmediate(advertise);
      return {
        close: () => {
          clearInterval(timer);
          this.#scans.delete(timer);
        },
      };
    });
  }

  async connect(peripheralId: string, options: CallOptions & { readonly mtu?: number } = {}): Promise<SimulatedConnection> {
    return withDeadline(`BLE connect to ${peripheralId}`, options, 10_000, async () => {
      this.#assertPowered();
      await tick(this.latencyMs);
      const peripheral = this.#peripherals.get(peripheralId);
      if (!peripheral?.advertising) {
        throw new LinkError('link.disconnected', `BLE peripheral ${peripheralId} is out of range`);
      }
      this.#connections.get(peripheralId)?.drop('replaced by a new connection');
      const mtu = Math.max(23, Math.min(options.mtu ?? 247, peripheral.maxMtu));
      const fault = this.#faults.get(peripheralId);
      this.#faults.delete(peripheralId);
      const connection = new SimulatedConnection(peripheralId, mtu, this.latencyMs, fault);
      this.#connections.set(peripheralId, connection);
      connection.onDisconnect(() => {
        if (this.#connections.get(peripheralId) === connection) this.#connections.delete(peripheralId);
      });
      this.connectCount.set(peripheralId, (this.connectCount.get(peripheralId) ?? 0) + 1);
      peripheral.attachSession(connection.peripheralSide);
      return connection;
    });
  }

  async close(): Promise<void> {
    for (const timer of this.#scans) clearInterval(timer);
    this.#scans.clear();
    for (const connection of [...this.#connections.values()]) connection.drop('central closed');
    await tick(0);
  }

  #assertPowered(): void {
    if (this.poweredOff) throw new LinkError('link.unavailable', 'Bluetooth LE is not available: simulated radio is powered off');
  }
}

interface ConnectionEvents {
  [event: string]: (payload: never) => void;
  disconnect: (reason: string) => void;
  notify: (bytes: Uint8Array) => void;
  data: (bytes: Uint8Array) => void;
}

/** One simulated GATT connection; both ends in one object so ordering and drops are exact. */
export class SimulatedConnection {
  readonly peripheralId: string;
  readonly mtu: number;
  readonly peripheralSide: SimulatedPeripheralSession;
  /** ATT PDUs sent by the central so far, each ≤ mtu - 3 bytes. */
  readonly centralWrites: number[] = [];
  readonly #latencyMs: number;
  readonly #fault: Fault | undefined;
  readonly #central = new TypedEmitter<ConnectionEvents>();
  readonly #peripheral = new TypedEmitter<ConnectionEvents>();
  #connected = true;
  #centralBytes = 0;

  constructor(peripheralId: string, mtu: number, latencyMs: number, fault: Fault | undefined) {
    this.peripheralId = peripheralId;
    this.mtu = mtu;
    this.#latencyMs = latencyMs;
    this.#fault = fault;
    const isConnected = (): boolean => this.#connected;
    this.peripheralSide = {
      mtu,
      get connected() {
        return isConnected();
      },
      write: (bytes) => {
        const max = mtu - ATT_HEADER_BYTES;
        for (let offset = 0; offset < bytes.length; offset += max) {
          const piece = bytes.slice(offset, Math.min(bytes.length, offset + max));
          this.#deliver(() => this.#central.emit('notify', piece));
        }
      },
      onData: (listener) => this.#peripheral.on('data', listener),
      onClose: (listener) => this.#peripheral.on('disconnect', () => listener()),
      disconnect: () => this.drop('peripheral disconnected'),
    };
  }

  get connected(): boolean {
    return this.#connected;
  }

  async openChannel(profile: SimulatedGattProfile, options: CallOptions = {}): Promise<{
    write(bytes: Uint8Array, options?: CallOptions): Promise<void>;
    onNotify(listener: (bytes: Uint8Array) => void): Subscription;
  }> {
    if (!profile.service || !profile.rx || !profile.tx) throw new ValidationError('GATT profile needs service, rx and tx UUIDs');
    await withDeadline('GATT discovery', options, 5_000, () => tick(this.#latencyMs));
    this.#assertConnected();
    return {
      write: (bytes, writeOptions) => this.#write(bytes, writeOptions),
      onNotify: (listener) => this.#central.on('notify', listener),
    };
  }

  onDisconnect(listener: (reason: string) => void): Subscription {
    return this.#central.on('disconnect', listener);
  }

  async disconnect(): Promise<void> {
    this.drop('disconnected by the central');
    await tick(0);
  }

  /** Cuts the link: in-flight PDUs are lost, both ends hear about it once. */
  drop(reason: string): void {
    if (!this.#connected) return;
    this.#connected = false;
    setImmediate(() => {
      this.#central.emit('disconnect', reason);
      this.#peripheral.emit('disconnect', reason);
      this.#central.clear();
      this.#peripheral.clear();
    });
  }

  async #write(bytes: Uint8Array, options: CallOptions = {}): Promise<void> {
    if (options.signal?.aborted) throw new LinkError('link.disconnected', 'BLE write cancelled');
    this.#assertConnected();
    if (bytes.length > this.mtu - ATT_HEADER_BYTES) {
      throw new ValidationError(
        `ATT write of ${bytes.length} bytes exceeds the payload of MTU ${this.mtu} (${this.mtu - ATT_HEADER_BYTES}): fragment it`,
      );
    }
    const piece = bytes.slice();
    this.centralWrites.push(piece.length);
    this.#centralBytes += piece.length;
    this.#deliver(() => this.#peripheral.emit('data', piece));
    if (this.#fault && this.#centralBytes >= this.#fault.afterCentralBytes) this.drop('connection lost (injected)');
    // Write without response resolves once the PDU is queued on the radio, not when it arrives.
    await tick(0);
  }

  #deliver(action: () => void): void {
    const run = (): void => {
      if (this.#connected) action();
    };
    if (this.#latencyMs > 0) setTimeout(run, this.#latencyMs);
    else setImmediate(run);
  }

  #assertConnected(): void {
    if (!this.#connected) throw new LinkError('link.disconnected', `BLE peripheral ${this.peripheralId} is not connected`);
  }
}

function tick(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
