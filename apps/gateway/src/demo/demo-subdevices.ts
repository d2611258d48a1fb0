import { SerialPortStream } from '@iotgw/adapters-serial';
import { createBleLinkAdapter } from '@iotgw/adapters-ble';
import type { AdapterRegistry } from '@iotgw/app';
import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { SimulatedBleCentral, SimulatedBlePeripheral, SimulatedBleSubdevice, SubdeviceSimulator } from '@iotgw/simulators';
import { createAdapterRegistry } from '../bundled-adapters.js';
import type { LinkConfig } from '../config/gateway-config.js';
import { SocatPair } from './socat-pair.js';

/** One simulated subdevice as the demo drives it, whatever carries its bytes. */
export interface DemoSubdevice {
  readonly id: SubdeviceId;
  /** Power on: the subdevice says HELLO and the gateway attaches it. */
  powerOn(): void;
  sendData(payload: Uint8Array): Promise<void>;
  /** Payloads the gateway delivered to it. */
  received(): readonly Uint8Array[];
  /** The firmware version it runs now. */
  version(): string;
  /** Offset each accepted firmware offer resumed from (0 = from the start). */
  offersFrom(): readonly number[];
  /** From now on, refuse to apply firmware with this (subdevice-side) code and message. */
  failFirmware(code: number, message: string): void;
  /**
   * During the next firmware transfer, reboot once `atBytes` arrived and say HELLO again at once
   * (with `goodbye`, a BYE(reboot) first), keeping the bytes. Serial bench only.
   */
  rebootDuringFirmware?(atBytes: number, goodbye: boolean): void;
  /** Versions whose transfer the gateway cancelled (FW_CANCEL), in order. */
  cancelled(): readonly string[];
  /** The simulated device itself: requests (RRPC), shadow and time controls. */
  readonly simulator: SubdeviceSimulator;
  close(): Promise<void>;
}

/** The subdevices plus the gateway-side link configs that reach them. */
export interface DemoBench {
  readonly transport: 'socat ptys + serial links' | 'in-memory (simulated BLE) links';
  readonly subdevices: DemoSubdevice[];
  readonly links: LinkConfig[];
  /** Handed to the plugin registry for link:ble in the in-memory mode. */
  readonly bleCentral?: SimulatedBleCentral;
  close(): Promise<void>;
  /** Pulls every cable at once (kills the socat pty pairs); `close` still waits for them. */
  kill(): void;
}

/** Each subdevice on its own pty pair (a serial cable each), driven by the subdevice simulator. */
export async function serialBench(socat: string, dir: string, ids: readonly SubdeviceId[], version: string): Promise<DemoBench> {
  const subdevices: DemoSubdevice[] = [];
  const links: LinkConfig[] = [];
  const closers: Array<() => Promise<void>> = [];
  const pairs: SocatPair[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    for (const id of ids) {
      const pair = new SocatPair(socat, dir, id.deviceName);
      await pair.start();
      pairs.push(pair);
      closers.push(() => pair.stop());
      const port = await SerialPortStream.open(pair.deviceSide, 115200);
      // A write racing the close (e.g. a last keepalive) fails with EBADF; for a simulated device that is
      // a lost frame, not a crash of the whole process.
      port.on('error', () => {});
      closers.push(() => port.close());
      const sim = new SubdeviceSimulator(port, {
        productId: id.productId,
        deviceName: id.deviceName,
        firmwareVersion: version,
        applyMs: 300,
      });
      const cancelled = versionsCancelled(sim);
      closers.push(() => Promise.resolve(sim.stop(true)));
      subdevices.push({
        id,
        powerOn: () => sim.start(),
        sendData: (payload) => sim.sendData(payload),
        received: () => sim.received,
        version: () => sim.version,
        offersFrom: () => sim.offersFrom,
        failFirmware: (code, message) => {
          sim.firmwareBehaviour = { fail: code, message };
        },
        rebootDuringFirmware: (atBytes, goodbye) => {
          sim.firmwareBehaviour = { rebootAt: atBytes, goodbye };
        },
        cancelled: () => cancelled,
        simulator: sim,
        close: () => Promise.resolve(sim.stop(true)),
      });
      links.push({ adapter: 'serial', name: `serial:${id.deviceName}`, path: pair.gatewaySide, baudRate: 115200, crc: 'crc32c', subdevices: [subdeviceKey(id)] });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { transport: 'socat ptys + serial links', subdevices, links, close, kill: () => pairs.forEach((p) => p.kill()) };
}

/** Without socat: the same link protocol over simulated BLE connections in memory. */
export function memoryBench(ids: readonly SubdeviceId[], version: string): DemoBench {
  const central = new SimulatedBleCentral();
  const subdevices: DemoSubdevice[] = ids.map((id) => {
    const peripheral = new SimulatedBlePeripheral({ id: `sim-${id.deviceName}`, localName: id.deviceName });
    // Out of range until powered on, so the demo decides when it attaches.
    peripheral.advertising = false;
    central.addPeripheral(peripheral);
    const sim = new SimulatedBleSubdevice(peripheral, { subdevice: id, firmwareVersion: version, applyMs: 300 });
    const cancelled = versionsCancelled(sim.simulator);
    return {
      id,
      powerOn: () => {
        peripheral.advertising = true;
      },
      sendData: (payload) => sim.sendData(payload),
      received: () => sim.received,
      version: () => sim.version,
      offersFrom: () => sim.simulator.offersFrom,
      failFirmware: (code, message) => {
        sim.simulator.firmwareBehaviour = { fail: code, message };
      },
      cancelled: () => cancelled,
      simulator: sim.simulator,
      close: () => Promise.resolve(sim.dispose()),
    };
  });
  const links: LinkConfig[] = [
    {
      adapter: 'ble',
      name: 'ble:simulated',
      central: 'simulated',
      crc: 'crc32c',
      subdevices: ids.map((id) => ({ id: subdeviceKey(id), localName: id.deviceName })),
    },
  ];
  return {
    transport: 'in-memory (simulated BLE) links',
    subdevices,
    links,
    bleCentral: central,
    close: async () => {
      for (const s of subdevices) await s.close();
    },
    kill: () => {},
  };
}

/** Records the versions whose transfer the gateway cancelled. */
function versionsCancelled(sim: SubdeviceSimulator): string[] {
  const versions: string[] = [];
  sim.events.on('cancelled', ({ version }) => versions.push(version));
  return versions;
}

/** The bundled adapters, with the BLE link on the bench's own central (its peripherals advertise there). */
export function demoRegistry(bench: Pick<DemoBench, 'bleCentral'>): AdapterRegistry {
  const registry = createAdapterRegistry();
  const central = bench.bleCentral;
  return central ? registry.replace(createBleLinkAdapter({ simulated: () => central })) : registry;
}
