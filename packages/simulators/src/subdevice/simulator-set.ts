import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import type { SimulatedFirmwareBehaviour } from './simulated-flash.js';
import type { SubdeviceSimulator } from './subdevice-simulator.js';

/**
 * Simulated subdevices by id, each made on its first power-up: what a bench (or a contract
 * harness) needs to play several subdevices on one medium. `attach` powers one up, or reboots it
 * into a version; `cut` makes it vanish without a word.
 */
export class SimulatorSet {
  readonly #sims = new Map<string, SubdeviceSimulator>();

  constructor(private readonly make: (subdevice: SubdeviceId, version: string) => SubdeviceSimulator) {}

  /** The simulator of `subdevice`; throws when it was never attached (a mistake in the bench). */
  get(subdevice: SubdeviceId): SubdeviceSimulator {
    const found = this.#sims.get(subdeviceKey(subdevice));
    if (!found) throw new Error(`${subdeviceKey(subdevice)} was never attached`);
    return found;
  }

  attach(subdevice: SubdeviceId, version: string): Promise<void> {
    const existing = this.#sims.get(subdeviceKey(subdevice));
    if (existing) existing.restart(version);
    else {
      const created = this.make(subdevice, version);
      this.#sims.set(subdeviceKey(subdevice), created);
      created.start();
    }
    return Promise.resolve();
  }

  cut(subdevice: SubdeviceId): Promise<void> {
    this.get(subdevice).stop();
    return Promise.resolve();
  }

  sendFromSubdevice(subdevice: SubdeviceId, payload: Uint8Array): Promise<void> {
    return this.get(subdevice).sendData(payload);
  }

  receivedBy(subdevice: SubdeviceId): Promise<Uint8Array[]> {
    return Promise.resolve([...(this.#sims.get(subdeviceKey(subdevice))?.received ?? [])]);
  }

  setFirmwareBehaviour(subdevice: SubdeviceId, behaviour: SimulatedFirmwareBehaviour): Promise<void> {
    this.get(subdevice).firmwareBehaviour = behaviour;
    return Promise.resolve();
  }

  firmwareReceived(subdevice: SubdeviceId): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#sims.get(subdeviceKey(subdevice))?.lastImage);
  }

  /**
   * How the subdevice answers requests from now on: a handler (optionally slow), or 'none' for
   * a firmware that announces no requests (it says HELLO again to announce the change).
   */
  answerRequests(subdevice: SubdeviceId, answer: ((payload: Uint8Array) => Uint8Array) | 'none', delayMs = 0): Promise<void> {
    const sim = this.get(subdevice);
    const announced = sim.requestHandler !== undefined;
    sim.requestHandler = answer === 'none' ? undefined : answer;
    sim.requestDelayMs = delayMs;
    if (announced !== (answer !== 'none')) sim.restart();
    return Promise.resolve();
  }

  /** The set's controls as plain functions, to spread into a link test harness. */
  controls(): Pick<SimulatorSet, 'attach' | 'cut' | 'sendFromSubdevice' | 'receivedBy' | 'setFirmwareBehaviour' | 'firmwareReceived'> {
    return {
      attach: (s, version) => this.attach(s, version),
      cut: (s) => this.cut(s),
      sendFromSubdevice: (s, payload) => this.sendFromSubdevice(s, payload),
      receivedBy: (s) => this.receivedBy(s),
      setFirmwareBehaviour: (s, behaviour) => this.setFirmwareBehaviour(s, behaviour),
      firmwareReceived: (s) => this.firmwareReceived(s),
    };
  }

  /** Powers every subdevice off, silently. */
  stopAll(): void {
    for (const sim of this.#sims.values()) sim.stop();
  }
}
