import { type Subscription, TypedEmitter, ValidationError } from '@iotgw/domain';

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

/**
 * The peripheral end of one simulated GATT connection, as a byte stream: what the central writes to
 * RX arrives on `onData` (one call per ATT write); `write` sends bytes back as TX notifications,
 * split to the connection's MTU like real firmware must. A subdevice simulator (or a test's scripted
 * peer) sits on this.
 */
export interface SimulatedPeripheralSession {
  readonly mtu: number;
  readonly connected: boolean;
  /** Sends bytes to the central as notifications of at most `mtu - 3` bytes each. */
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): Subscription;
  onClose(listener: () => void): Subscription;
  /** The peripheral drops the link (like a reset or walking out of range). */
  disconnect(): void;
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
    return this.#current?.connected ? this.#current : undefined;
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
