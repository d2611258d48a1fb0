import { type CallOptions, LinkError, type Subscription, TypedEmitter, ValidationError, withDeadline } from '@iotgw/domain';
import { ATT_HEADER_BYTES, SimulatedPeripheralSession } from './simulated-peripheral-session.js';

// Structural copies of @iotgw/adapters-ble's port types: this package may not depend on the
// adapter (the adapter's tests use it), and TypeScript checks the fit where both meet.
export interface SimulatedGattProfile {
  readonly service: string;
  readonly rx: string;
  readonly tx: string;
}

export interface SimulatedGattChannel {
  write(bytes: Uint8Array, options?: CallOptions): Promise<void>;
  onNotify(listener: (bytes: Uint8Array) => void): Subscription;
}

interface CentralEvents {
  [event: string]: (payload: never) => void;
  disconnect: (reason: string) => void;
  notify: (bytes: Uint8Array) => void;
}

/** Who ended a connection: the central (`disconnect`), the peripheral (`session.close`) or the radio. */
type Initiator = 'central' | 'peripheral' | 'radio';

/** One simulated GATT connection; both ends in one object so ordering and drops are exact. */
export class SimulatedConnection {
  readonly peripheralId: string;
  readonly mtu: number;
  readonly peripheralSide: SimulatedPeripheralSession;
  /** ATT PDUs sent by the central so far, each ≤ mtu - 3 bytes. */
  readonly centralWrites: number[] = [];
  readonly #latencyMs: number;
  readonly #cutAfterCentralBytes: number | undefined;
  readonly #central = new TypedEmitter<CentralEvents>();
  #connected = true;
  #centralBytes = 0;

  constructor(peripheralId: string, mtu: number, latencyMs: number, cutAfterCentralBytes: number | undefined) {
    this.peripheralId = peripheralId;
    this.mtu = mtu;
    this.#latencyMs = latencyMs;
    this.#cutAfterCentralBytes = cutAfterCentralBytes;
    this.peripheralSide = new SimulatedPeripheralSession(
      peripheralId,
      mtu,
      (piece) => this.#deliver(() => this.#central.emit('notify', piece)),
      (reason) => this.drop(reason, 'peripheral'),
    );
  }

  get connected(): boolean {
    return this.#connected;
  }

  async openChannel(profile: SimulatedGattProfile, options: CallOptions = {}): Promise<SimulatedGattChannel> {
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
    this.drop('disconnected by the central', 'central');
    await tick(0);
  }

  /** Cuts the link: in-flight PDUs are lost, both ends hear about it once. */
  drop(reason: string, initiator: Initiator = 'radio'): void {
    if (!this.#connected) return;
    this.#connected = false;
    setImmediate(() => {
      this.#central.emit('disconnect', reason);
      this.peripheralSide.end(reason, initiator === 'peripheral');
      this.#central.clear();
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
    this.#deliver(() => this.peripheralSide.receive(piece));
    if (this.#cutAfterCentralBytes !== undefined && this.#centralBytes >= this.#cutAfterCentralBytes) this.drop('connection lost (injected)');
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

export function tick(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
