import { createHash } from 'node:crypto';
import type { SubdeviceId, Subscription } from '@iotgw/domain';
import { type FirmwareOffer, SubdeviceEngine, type SubdeviceEngineOptions } from '@iotgw/link-protocol';
import type { SimulatedBlePeripheral, SimulatedPeripheralSession } from './simulated-ble-peripheral.js';

/** What the simulated subdevice does with an image: apply it, refuse it, or lose the link part-way. */
export type BleFirmwareBehaviour = 'success' | { readonly fail: number; readonly message: string } | { readonly cutAt: number };

export interface SimulatedBleSubdeviceOptions {
  readonly subdevice: SubdeviceId;
  readonly firmwareVersion: string;
  /** Link-protocol address the subdevice uses (BLE is point to point, any 1..254 works). Default 1. */
  readonly address?: number;
  readonly engine?: Omit<SubdeviceEngineOptions, 'address' | 'identity'>;
}

/**
 * A subdevice's firmware on a SimulatedBlePeripheral: runs link-protocol's SubdeviceEngine on each
 * GATT connection's byte stream, and keeps its "flash" (a partly received image) across
 * disconnects, so the gateway's next offer of the same image resumes.
 */
export class SimulatedBleSubdevice {
  readonly subdevice: SubdeviceId;
  readonly peripheral: SimulatedBlePeripheral;
  firmwareVersion: string;
  firmwareBehaviour: BleFirmwareBehaviour = 'success';
  /** Payloads the gateway sent, in order. */
  readonly received: Uint8Array[] = [];
  /** Offset each accepted offer resumed from (0 = fresh start). */
  readonly offersAcceptedAt: number[] = [];
  /** The image after the last completed delivery. */
  lastImage: Uint8Array | undefined;
  readonly #options: SimulatedBleSubdeviceOptions;
  #engine: SubdeviceEngine | undefined;
  #flash = new Uint8Array(0);
  #flashMd5 = '';
  #flashBytes = 0;
  readonly #sessionWatch: Subscription;

  constructor(peripheral: SimulatedBlePeripheral, options: SimulatedBleSubdeviceOptions) {
    this.peripheral = peripheral;
    this.subdevice = options.subdevice;
    this.firmwareVersion = options.firmwareVersion;
    this.#options = options;
    this.#sessionWatch = peripheral.onSession((session) => this.#run(session));
  }

  /** True while the link protocol session is up (HELLO answered). */
  get connected(): boolean {
    return this.#engine?.state === 'connected';
  }

  /**
   * Sends DATA up; resolves when the gateway acknowledged it. The gateway reports 'attached' on
   * HELLO, a moment before HELLO_ACK reaches the subdevice, so this waits up to 5 s for that.
   */
  async sendData(payload: Uint8Array): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!this.connected) {
      if (Date.now() > deadline) throw new Error('the simulated subdevice has no link-protocol session');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.#engine!.sendData(payload);
  }

  /** Power cut / out of range: stop advertising and drop the connection without a goodbye. */
  cut(): void {
    this.peripheral.advertising = false;
    this.#engine?.stop();
    this.#engine = undefined;
    this.peripheral.session?.disconnect();
  }

  /** Power up (again), possibly with a new version: advertise so the gateway connects. */
  powerUp(firmwareVersion = this.firmwareVersion): void {
    this.firmwareVersion = firmwareVersion;
    this.peripheral.advertising = true;
  }

  dispose(): void {
    this.#sessionWatch.close();
    this.#engine?.stop();
    this.#engine = undefined;
  }

  #run(session: SimulatedPeripheralSession): void {
    this.#engine?.stop();
    const engine = new SubdeviceEngine(
      {
        transmit: (bytes) => {
          if (session.connected) session.write(bytes);
        },
        data: (payload) => this.received.push(payload),
        firmwareOffer: (offer) => this.#offer(offer),
        firmwareChunk: (offset, bytes) => this.#chunk(offset, bytes),
        firmwareCommit: (offer) => this.#commit(engine, offer),
      },
      {
        ...this.#options.engine,
        address: this.#options.address ?? 1,
        identity: {
          productId: this.subdevice.productId,
          deviceName: this.subdevice.deviceName,
          firmwareVersion: this.firmwareVersion,
        },
      },
    );
    this.#engine = engine;
    session.onData((bytes) => engine.feed(bytes));
    session.onClose(() => {
      engine.stop();
      if (this.#engine === engine) this.#engine = undefined;
    });
    engine.start();
  }

  #offer(offer: FirmwareOffer): number {
    const md5 = Buffer.from(offer.md5).toString('hex');
    if (md5 !== this.#flashMd5 || this.#flash.length !== offer.size) {
      this.#flash = new Uint8Array(offer.size);
      this.#flashMd5 = md5;
      this.#flashBytes = 0;
    }
    this.offersAcceptedAt.push(this.#flashBytes);
    return this.#flashBytes;
  }

  #chunk(offset: number, bytes: Uint8Array): void {
    this.#flash.set(bytes, offset);
    this.#flashBytes = offset + bytes.length;
    const behaviour = this.firmwareBehaviour;
    if (typeof behaviour === 'object' && 'cutAt' in behaviour && this.#flashBytes >= behaviour.cutAt) {
      this.firmwareBehaviour = 'success';
      // Cut on the next turn: the engine is still inside its receive path.
      setImmediate(() => this.cut());
    }
  }

  #commit(engine: SubdeviceEngine, offer: FirmwareOffer): void {
    const behaviour = this.firmwareBehaviour;
    setImmediate(() => {
      engine.reportApplying(50);
      if (typeof behaviour === 'object' && 'fail' in behaviour) {
        engine.reportResult({ ok: false, code: behaviour.fail, message: behaviour.message });
        return;
      }
      const image = this.#flash.slice(0, this.#flashBytes);
      const ok = createHash('md5').update(image).digest('hex') === this.#flashMd5;
      this.#flash = new Uint8Array(0);
      this.#flashMd5 = '';
      this.#flashBytes = 0;
      if (!ok) {
        engine.reportResult({ ok: false, code: -4, message: 'md5 mismatch' });
        return;
      }
      this.lastImage = image;
      this.firmwareVersion = offer.version;
      engine.reportResult({ ok: true, version: offer.version });
    });
  }
}
