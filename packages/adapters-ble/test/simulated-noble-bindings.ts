import { EventEmitter } from 'node:events';
import { SimulatedConnection, type SimulatedBlePeripheral, type SimulatedGattChannel } from '@iotgw/simulators';
import { IOTGW_GATT_PROFILE, normalizeUuid } from '../src/index.js';

/**
 * noble's HCI bindings over simulated peripherals: the radio below noble, the way serialport's
 * MockBinding is the UART below serialport. noble's own JavaScript (state, peripherals, GATT
 * discovery, characteristics) and NobleBleCentral run unchanged above it; the peripherals are the
 * same SimulatedBlePeripherals the SimulatedBleCentral serves.
 */
export class SimulatedNobleBindings extends EventEmitter {
  readonly #peripherals = new Map<string, SimulatedBlePeripheral>();
  readonly #connections = new Map<string, { connection: SimulatedConnection; channel?: SimulatedGattChannel }>();
  readonly #state: string;
  #scan: ReturnType<typeof setInterval> | undefined;
  #scanFilter: string[] = [];

  constructor(peripherals: readonly SimulatedBlePeripheral[], options: { readonly state?: string; readonly advertiseIntervalMs?: number } = {}) {
    super();
    for (const p of peripherals) this.#peripherals.set(idOf(p.id), p);
    this.#state = options.state ?? 'poweredOn';
    this.advertiseIntervalMs = options.advertiseIntervalMs ?? 5;
  }

  readonly advertiseIntervalMs: number;

  start(): void {
    setImmediate(() => this.emit('stateChange', this.#state));
  }

  stop(): void {
    this.stopScanning();
    for (const { connection } of this.#connections.values()) connection.drop('central closed');
  }

  addressToId(address: string): string | null {
    return this.#peripherals.has(idOf(address)) ? idOf(address) : null;
  }

  startScanning(serviceUuids: string[] = []): void {
    this.#scanFilter = serviceUuids.map(normalizeUuid);
    clearInterval(this.#scan);
    this.#scan = setInterval(() => this.#advertise(), this.advertiseIntervalMs);
    setImmediate(() => {
      this.emit('scanStart', false);
      this.#advertise();
    });
  }

  stopScanning(): void {
    clearInterval(this.#scan);
    this.#scan = undefined;
    setImmediate(() => this.emit('scanStop'));
  }

  connect(id: string): void {
    const peripheral = this.#peripherals.get(id);
    setImmediate(() => {
      if (!peripheral?.advertising) {
        this.emit('connect', id, new Error('connection failed: peripheral out of range'));
        return;
      }
      const mtu = Math.max(23, Math.min(247, peripheral.maxMtu));
      const connection = new SimulatedConnection(peripheral.id, mtu, 0, undefined);
      this.#connections.set(id, { connection });
      connection.onDisconnect((reason) => {
        this.#connections.delete(id);
        this.emit('disconnect', id, reason);
      });
      peripheral.attachSession(connection.peripheralSide);
      this.emit('connect', id, null);
      this.emit('onMtu', id, mtu);
    });
  }

  cancelConnect(): void {}

  disconnect(id: string): void {
    const entry = this.#connections.get(id);
    if (entry) void entry.connection.disconnect();
    else setImmediate(() => this.emit('disconnect', id, 'not connected'));
  }

  /** Test control: the radio loses the connection. */
  drop(address: string): void {
    this.#connections.get(idOf(address))?.connection.drop('connection lost (injected)');
  }

  discoverServices(id: string, uuids: string[]): void {
    const service = normalizeUuid(IOTGW_GATT_PROFILE.service);
    setImmediate(() => this.emit('servicesDiscover', id, uuids.length === 0 || uuids.includes(service) ? [service] : []));
  }

  discoverCharacteristics(id: string, serviceUuid: string): void {
    const entry = this.#connections.get(id);
    if (!entry) return;
    void entry.connection.openChannel(IOTGW_GATT_PROFILE).then((channel) => {
      entry.channel = channel;
      const tx = normalizeUuid(IOTGW_GATT_PROFILE.tx);
      channel.onNotify((bytes) => this.emit('read', id, serviceUuid, tx, Buffer.from(bytes), true));
      this.emit('characteristicsDiscover', id, serviceUuid, [
        { uuid: normalizeUuid(IOTGW_GATT_PROFILE.rx), properties: ['writeWithoutResponse'] },
        { uuid: tx, properties: ['notify'] },
      ]);
    });
  }

  notify(id: string, serviceUuid: string, characteristicUuid: string, on: boolean): void {
    setImmediate(() => this.emit('notify', id, serviceUuid, characteristicUuid, on));
  }

  write(id: string, serviceUuid: string, characteristicUuid: string, data: Buffer): void {
    const channel = this.#connections.get(id)?.channel;
    if (!channel) return;
    channel.write(new Uint8Array(data)).then(
      () => this.emit('write', id, serviceUuid, characteristicUuid),
      (error: unknown) => this.emit('write', id, serviceUuid, characteristicUuid, error),
    );
  }

  #advertise(): void {
    for (const [id, p] of this.#peripherals) {
      if (!p.advertising) continue;
      if (this.#scanFilter.length > 0 && !p.serviceUuids.some((u) => this.#scanFilter.includes(normalizeUuid(u)))) continue;
      const advertisement = {
        localName: p.localName,
        serviceUuids: p.serviceUuids.map(normalizeUuid),
        manufacturerData: p.manufacturerData ? Buffer.from(p.manufacturerData) : undefined,
      };
      this.emit('discover', id, p.id, 'public', true, advertisement, p.rssi, true);
    }
  }
}

/** noble identifies peripherals by their address without separators, lower-case. */
export function idOf(address: string): string {
  return address.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
}
