import { type CallOptions, LinkError, type Subscription, withDeadline } from '@iotgw/domain';
import type { SimulatedBlePeripheral } from './simulated-ble-peripheral.js';
import { SimulatedConnection, tick } from './simulated-connection.js';

// Structural copy of @iotgw/adapters-ble's BleAdvertisement (see simulated-connection.ts).
export interface SimulatedAdvertisement {
  readonly id: string;
  readonly localName: string | undefined;
  readonly serviceUuids: readonly string[];
  readonly manufacturerData: Uint8Array | undefined;
  readonly rssi: number;
}

export interface SimulatedBleCentralOptions {
  /** One-way delay of every ATT PDU (write or notification), ms. Default 0 (next turn of the loop). */
  readonly latencyMs?: number;
  /** How often each peripheral advertises while scanning, ms. Default 10. */
  readonly advertiseIntervalMs?: number;
  /** Pretend the radio is off: scan and connect reject with LinkError 'link.unavailable'. */
  readonly poweredOff?: boolean;
}

const normalize = (uuid: string): string => uuid.replace(/-/g, '').toLowerCase();

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
  /** Cut the next connection to a peripheral once the central has written this many bytes on it. */
  readonly #faults = new Map<string, number>();
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
    this.#faults.set(peripheralId, bytes);
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

