import type { SubdeviceId, Subscription } from '@iotgw/domain';
import { SubdeviceSimulator, type SubdeviceSimulatorOptions } from '../subdevice/subdevice-simulator.js';
import type { SimulatedBlePeripheral } from './simulated-ble-peripheral.js';

export interface SimulatedBleSubdeviceOptions extends Omit<SubdeviceSimulatorOptions, 'productId' | 'deviceName'> {
  readonly subdevice: SubdeviceId;
}

/**
 * The BLE flavour of the simulated subdevice: a SubdeviceSimulator whose medium is each GATT
 * session of its peripheral. Powered means advertising; a crash or a cut stops advertising and
 * drops the connection; the partly received image survives, so the next offer resumes.
 */
export class SimulatedBleSubdevice {
  readonly subdevice: SubdeviceId;
  readonly peripheral: SimulatedBlePeripheral;
  readonly simulator: SubdeviceSimulator;
  readonly #subscriptions: Subscription[];

  constructor(peripheral: SimulatedBlePeripheral, options: SimulatedBleSubdeviceOptions) {
    this.peripheral = peripheral;
    this.subdevice = options.subdevice;
    this.simulator = new SubdeviceSimulator(undefined, { ...options, productId: options.subdevice.productId, deviceName: options.subdevice.deviceName });
    // Each connection is a fresh stream; the firmware on it says HELLO once the central subscribed.
    this.#subscriptions = [
      peripheral.onSession((session) => {
        this.simulator.use(session);
        this.simulator.start();
      }),
      // A crash takes the radio down too; the harness powers it up again.
      this.simulator.events.on('crashed', () => setImmediate(() => this.cut())),
    ];
  }

  get connected(): boolean {
    return this.simulator.connected;
  }

  get version(): string {
    return this.simulator.version;
  }

  get received(): readonly Uint8Array[] {
    return this.simulator.received;
  }

  /**
   * Sends DATA up. The gateway reports 'attached' on HELLO, a moment before the connection and
   * HELLO_ACK reach the subdevice, so this waits up to `waitMs` for its session first.
   */
  async sendData(payload: Uint8Array, waitMs = 5_000): Promise<void> {
    if (!this.simulator.connected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          sub.close();
          resolve();
        }, waitMs);
        const sub = this.simulator.events.on('connected', () => {
          clearTimeout(timer);
          sub.close();
          resolve();
        });
      });
    }
    return this.simulator.sendData(payload, waitMs);
  }

  /** Power cut / out of range: stop advertising and drop the connection without a goodbye. */
  cut(): void {
    this.peripheral.advertising = false;
    this.simulator.stop();
    void this.peripheral.session?.close();
  }

  /** Power up (again), possibly with a new version: advertise so the gateway connects. */
  powerUp(firmwareVersion = this.simulator.version): void {
    this.peripheral.advertising = true;
    this.simulator.restart(firmwareVersion);
  }

  dispose(): void {
    for (const s of this.#subscriptions) s.close();
    this.simulator.stop();
  }
}
