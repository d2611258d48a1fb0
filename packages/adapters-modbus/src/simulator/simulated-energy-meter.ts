import { systemClock, type Clock } from '@iotgw/domain';
import type { SimulatedModbusDevice } from './simulated-device.js';

export interface SimulatedEnergyMeterOptions {
  readonly clock?: Clock;
  /** Served in holding register 100 (high byte major, low byte minor). Default "1.2". */
  readonly firmwareVersion?: `${number}.${number}`;
  /** kWh already counted at start. Default 1234.56. */
  readonly energyKwh?: number;
}

function floatWords(value: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

/**
 * A single-phase energy meter serving the package's `models/energy-meter.json` map: voltage
 * around 230 V, a load that drifts over minutes, power and energy that follow it, a relay (coil 0)
 * that switches the load off, and a demand limit (holding register 0, W) above which the meter
 * opens its relay by itself. Values move with the clock, so two reads a second apart differ.
 */
export class SimulatedEnergyMeter implements SimulatedModbusDevice {
  relay = true;
  demandLimitW = 0;
  readonly #clock: Clock;
  readonly #version: number;
  readonly #startedAt: number;
  #energyWh: number;
  #lastAt: number;

  constructor(options: SimulatedEnergyMeterOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    const [major = 1, minor = 2] = (options.firmwareVersion ?? '1.2').split('.').map(Number);
    this.#version = ((major & 0xff) << 8) | (minor & 0xff);
    this.#startedAt = this.#clock.now();
    this.#lastAt = this.#startedAt;
    this.#energyWh = (options.energyKwh ?? 1234.56) * 1000;
  }

  /** What the meter measures now (and energy counted up to now). */
  measure(): { voltage: number; current: number; activePower: number; powerFactor: number; frequency: number; energyKwh: number } {
    const now = this.#clock.now();
    const t = (now - this.#startedAt) / 1000;
    const voltage = 230 + 3 * Math.sin(t / 10) + 0.4 * Math.sin(t * 1.7);
    const load = 2.2 + 1.5 * Math.sin(t / 45) + 0.2 * Math.sin(t * 0.9);
    const powerFactor = 0.95 + 0.02 * Math.sin(t / 20);
    let current = this.relay ? Math.max(0, load) : 0;
    let activePower = voltage * current * powerFactor;
    if (this.relay && this.demandLimitW > 0 && activePower > this.demandLimitW) {
      this.relay = false; // the meter protects the line
      current = 0;
      activePower = 0;
    }
    this.#energyWh += (activePower * (now - this.#lastAt)) / 3_600_000;
    this.#lastAt = now;
    return { voltage, current, activePower, powerFactor, frequency: 50 + 0.03 * Math.sin(t / 7), energyKwh: this.#energyWh / 1000 };
  }

  readInputRegister(address: number): number | undefined {
    const m = this.measure();
    const energy = Math.floor(m.energyKwh * 100) >>> 0;
    const registers: Array<number | undefined> = [
      ...floatWords(m.voltage),
      ...floatWords(m.current),
      ...floatWords(m.activePower),
      Math.round(m.powerFactor * 1000) & 0xffff,
      Math.round(m.frequency * 100),
      energy >>> 16,
      energy & 0xffff,
    ];
    return registers[address];
  }

  readHoldingRegister(address: number): number | undefined {
    if (address === 0) return this.demandLimitW;
    if (address === 100) return this.#version;
    return undefined;
  }

  readCoil(address: number): boolean | undefined {
    if (address !== 0) return undefined;
    this.measure(); // the demand limit may have opened it
    return this.relay;
  }

  readDiscreteInput(): boolean | undefined {
    return undefined;
  }

  writeCoil(address: number, value: boolean): boolean {
    if (address !== 0) return false;
    this.measure(); // count the energy up to the switch
    this.relay = value;
    return true;
  }

  writeHoldingRegister(address: number, value: number): boolean {
    if (address !== 0 || value > 20_000) return false;
    this.demandLimitW = value;
    return true;
  }
}
