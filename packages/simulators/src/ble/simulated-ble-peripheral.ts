import { type Subscription, TypedEmitter, ValidationError } from '@iotgw/domain';
import type { SimulatedPeripheralSession } from './simulated-peripheral-session.js';

/** What the simulated peripheral advertises. */
export interface SimulatedPeripheralOptions {
  readonly id: string;
  readonly localName?: string;
  readonly serviceUuids?: readonly string[];
  readonly manufacturerData?: Uint8Array;
  readonly rssi?: number;
  /** Largest ATT MTU this peripheral accepts (the connection gets min(central's ask, this)). Default 247. */
  readonly maxMtu?: number;
}

interface PeripheralEvents {
  [event: string]: (payload: never) => void;
  session: (session: SimulatedPeripheralSession) => void;
}

/** A BLE peripheral exposing the iotgw GATT profile; register it with a SimulatedBleCentral. */
export class SimulatedBlePeripheral {
  readonly id: string;
  readonly localName: string | undefined;
  readonly serviceUuids: readonly string[];
  readonly manufacturerData: Uint8Array | undefined;
  readonly rssi: number;
  readonly maxMtu: number;
  /** False while "out of range": not advertised, connects fail. */
  advertising = true;
  readonly #events = new TypedEmitter<PeripheralEvents>();
  #current: SimulatedPeripheralSession | undefined;

  constructor(options: SimulatedPeripheralOptions) {
    if (!options.id) throw new ValidationError('a simulated peripheral needs an id');
    this.id = options.id;
    this.localName = options.localName;
    this.serviceUuids = options.serviceUuids ?? [];
    this.manufacturerData = options.manufacturerData;
    this.rssi = options.rssi ?? -60;
    this.maxMtu = options.maxMtu ?? 247;
  }

  /** The live session, if a central is connected. */
  get session(): SimulatedPeripheralSession | undefined {
    return this.#current?.isOpen ? this.#current : undefined;
  }

  /** Called for every new connection (reconnects included). */
  onSession(listener: (session: SimulatedPeripheralSession) => void): Subscription {
    return this.#events.on('session', listener);
  }

  /** @internal used by SimulatedBleCentral. */
  attachSession(session: SimulatedPeripheralSession): void {
    this.#current = session;
    this.#events.emit('session', session);
  }
}
