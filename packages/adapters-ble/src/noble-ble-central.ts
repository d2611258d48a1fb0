import {
  type CallOptions,
  LinkError,
  type Subscription,
  ValidationError,
  isGatewayError,
  withDeadline,
} from '@iotgw/domain';
import type { BleAdvertisement, BleCentral, BleConnectOptions, BleConnection, BleGattChannel, BleScanFilter } from './ble-central.port.js';
import { bleDisconnected, bleUnavailable } from './ble.errors.js';
import { ATT_HEADER_BYTES, DEFAULT_ATT_MTU, type GattProfile, normalizeUuid } from './gatt-profile.js';

// The slice of @stoprocent/noble we use, declared here so this package builds (and every other
// feature works) on machines where the optional dependency failed to install.
interface NobleEmitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}
interface NobleCharacteristic extends NobleEmitter {
  readonly uuid: string;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
}
interface NoblePeripheral extends NobleEmitter {
  readonly id: string;
  readonly rssi: number;
  readonly mtu: number | null;
  readonly state: string;
  readonly advertisement: { localName?: string; serviceUuids?: string[]; manufacturerData?: Buffer };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  cancelConnect(): void;
  discoverSomeServicesAndCharacteristicsAsync(
    services: string[],
    characteristics: string[],
  ): Promise<{ characteristics: NobleCharacteristic[] }>;
}
interface Noble extends NobleEmitter {
  readonly state: string;
  startScanningAsync(services?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
  stop(): void;
}

interface NobleModule {
  withBindings?: (type?: string) => Noble;
}

export interface NobleBleCentralOptions {
  /** Module to load; the default is the maintained noble fork. Tests point it elsewhere. */
  readonly moduleName?: string;
  /** How long to wait for the adapter to report poweredOn before giving up, ms. Default 5000. */
  readonly poweredOnTimeoutMs?: number;
  /**
   * noble bindings (its HCI layer) to run on instead of the host's radio: the tests pass a
   * simulated radio, so this central's own code and noble's run unchanged above it.
   */
  readonly bindings?: object;
}

type NobleConstructor = new (bindings: object) => Noble;

/** Adapter states that will not turn into poweredOn by waiting. */
const HOPELESS_STATES = new Set(['unsupported', 'unauthorized']);

/**
 * BleCentral on a real radio through `@stoprocent/noble` (an optional dependency, imported on first
 * use). Every way of "no Bluetooth here" becomes LinkError 'link.unavailable'.
 */
export class NobleBleCentral implements BleCentral {
  readonly name = 'noble';
  readonly #moduleName: string;
  readonly #poweredOnTimeoutMs: number;
  readonly #bindings: object | undefined;
  #noble: Promise<Noble> | undefined;
  readonly #seen = new Map<string, NoblePeripheral>();

  constructor(options: NobleBleCentralOptions = {}) {
    this.#moduleName = options.moduleName ?? '@stoprocent/noble';
    this.#poweredOnTimeoutMs = options.poweredOnTimeoutMs ?? 5_000;
    this.#bindings = options.bindings;
  }

  async scan(filter: BleScanFilter, onFound: (advertisement: BleAdvertisement) => void, options: CallOptions = {}): Promise<Subscription> {
    return withDeadline('BLE scan start', options, this.#poweredOnTimeoutMs + 5_000, async () => {
      const noble = await this.#ready();
      const onDiscover = (peripheral: NoblePeripheral): void => {
        this.#seen.set(peripheral.id, peripheral);
        const ad = peripheral.advertisement;
        onFound({
          id: peripheral.id,
          localName: ad.localName,
          serviceUuids: ad.serviceUuids ?? [],
          manufacturerData: ad.manufacturerData ? new Uint8Array(ad.manufacturerData) : undefined,
          rssi: peripheral.rssi,
        });
      };
      noble.on('discover', onDiscover);
      try {
        await noble.startScanningAsync((filter.services ?? []).map(normalizeUuid), true);
      } catch (error) {
        noble.removeListener('discover', onDiscover);
        throw bleUnavailable(`scanning failed (adapter state ${noble.state})`, error);
      }
      let closed = false;
      return {
        close: () => {
          if (closed) return;
          closed = true;
          noble.removeListener('discover', onDiscover);
          // Fire and forget: a handle's close is synchronous and a stop failure leaves nothing to undo.
          void noble.stopScanningAsync().catch(() => undefined);
        },
      };
    });
  }

  async connect(peripheralId: string, options: BleConnectOptions = {}): Promise<BleConnection> {
    await this.#ready();
    const peripheral = this.#seen.get(peripheralId);
    if (!peripheral) {
      throw new LinkError('link.disconnected', `BLE peripheral ${peripheralId} was not seen in a scan yet: scan first`);
    }
    try {
      await withDeadline(`BLE connect to ${peripheralId}`, options, 15_000, () => peripheral.connectAsync());
    } catch (error) {
      peripheral.cancelConnect();
      if (isGatewayError(error)) throw error;
      throw new LinkError('link.disconnected', `BLE connect to ${peripheralId} failed`, { cause: error });
    }
    return new NobleConnection(peripheral);
  }

  async close(): Promise<void> {
    const pending = this.#noble;
    this.#noble = undefined;
    this.#seen.clear();
    if (!pending) return;
    const noble = await pending.catch(() => undefined);
    // stop() releases the HCI socket / bindings so the process can exit.
    noble?.stop();
  }

  #ready(): Promise<Noble> {
    this.#noble ??= this.#load();
    const loading = this.#noble;
    // A failed load is not cached: the adapter may be plugged in or powered on later.
    loading.catch(() => {
      if (this.#noble === loading) this.#noble = undefined;
    });
    return loading;
  }

  async #load(): Promise<Noble> {
    let noble: Noble;
    try {
      if (this.#bindings) {
        const core = (await import(`${this.#moduleName}/lib/noble.js`)) as { default: NobleConstructor };
        noble = new core.default(this.#bindings);
      } else {
        const specifier = this.#moduleName;
        const module = (await import(specifier)) as NobleModule & { default?: NobleModule };
        // A fresh instance per load: a stopped noble never restarts, and a retry (adapter plugged in
        // or powered on later) must not inherit the stopped singleton.
        const factory = module.withBindings ?? module.default?.withBindings;
        noble = factory ? factory('default') : ((module.default ?? module) as Noble);
      }
    } catch (error) {
      throw bleUnavailable(`module ${this.#moduleName} could not be loaded or has no usable bindings (is it installed?)`, error);
    }
    if (noble.state === 'poweredOn') return noble;
    return new Promise<Noble>((resolve, reject) => {
      const finish = (error?: LinkError): void => {
        clearTimeout(timer);
        noble.removeListener('stateChange', onState);
        if (error) {
          noble.stop();
          reject(error);
        } else resolve(noble);
      };
      const onState = (state: string): void => {
        if (state === 'poweredOn') finish();
        else if (HOPELESS_STATES.has(state)) finish(bleUnavailable(`adapter state is ${state}`));
      };
      const timer = setTimeout(
        () => finish(bleUnavailable(`adapter state is ${noble.state}, not poweredOn after ${this.#poweredOnTimeoutMs} ms`)),
        this.#poweredOnTimeoutMs,
      );
      noble.on('stateChange', onState);
      if (HOPELESS_STATES.has(noble.state)) onState(noble.state);
    });
  }
}

class NobleConnection implements BleConnection {
  readonly peripheralId: string;
  readonly #peripheral: NoblePeripheral;
  readonly #listeners = new Set<(reason: string) => void>();
  #connected = true;

  constructor(peripheral: NoblePeripheral) {
    this.peripheralId = peripheral.id;
    this.#peripheral = peripheral;
    const onDisconnect = (reason: number | string): void => {
      peripheral.removeListener('disconnect', onDisconnect);
      this.#connected = false;
      for (const listener of [...this.#listeners]) listener(String(reason));
      this.#listeners.clear();
    };
    peripheral.on('disconnect', onDisconnect);
  }

  get mtu(): number {
    return this.#peripheral.mtu ?? DEFAULT_ATT_MTU;
  }

  get connected(): boolean {
    return this.#connected;
  }

  async openChannel(profile: GattProfile, options: CallOptions = {}): Promise<BleGattChannel> {
    this.#assertConnected();
    const rxUuid = normalizeUuid(profile.rx);
    const txUuid = normalizeUuid(profile.tx);
    const found = await withDeadline('GATT discovery', options, 10_000, () =>
      this.#peripheral.discoverSomeServicesAndCharacteristicsAsync([normalizeUuid(profile.service)], [rxUuid, txUuid]),
    );
    const rx = found.characteristics.find((c) => normalizeUuid(c.uuid) === rxUuid);
    const tx = found.characteristics.find((c) => normalizeUuid(c.uuid) === txUuid);
    if (!rx || !tx) {
      throw new LinkError('link.protocol', `BLE peripheral ${this.peripheralId} lacks the iotgw GATT profile (service ${profile.service})`);
    }
    await withDeadline('GATT subscribe', options, 10_000, () => tx.subscribeAsync());
    return {
      write: async (bytes, writeOptions = {}) => {
        this.#assertConnected();
        if (bytes.length > this.mtu - ATT_HEADER_BYTES) {
          throw new ValidationError(`ATT write of ${bytes.length} bytes exceeds the payload of MTU ${this.mtu} (${this.mtu - ATT_HEADER_BYTES}): fragment it`);
        }
        await withDeadline('BLE write', writeOptions, 10_000, () => rx.writeAsync(Buffer.from(bytes), true));
      },
      onNotify: (listener) => {
        const onData = (data: Buffer): void => listener(new Uint8Array(data));
        tx.on('data', onData);
        return { close: () => void tx.removeListener('data', onData) };
      },
    };
  }

  onDisconnect(listener: (reason: string) => void): Subscription {
    this.#listeners.add(listener);
    return { close: () => void this.#listeners.delete(listener) };
  }

  async disconnect(options: CallOptions = {}): Promise<void> {
    if (!this.#connected) return;
    await withDeadline('BLE disconnect', options, 5_000, () => this.#peripheral.disconnectAsync());
  }

  #assertConnected(): void {
    if (!this.#connected) throw bleDisconnected(this.peripheralId, 'not connected');
  }
}
