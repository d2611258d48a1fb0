import { subdeviceId, subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { SimulatedBleCentral, SimulatedBlePeripheral, SimulatedBleSubdevice } from '@iotgw/simulators';
import type { SubdeviceLinkHarness } from '@iotgw/testkit';
import { type BleCentral, BleSubdeviceLink, IOTGW_GATT_PROFILE, NobleBleCentral } from '../src/index.js';
import { SimulatedNobleBindings } from './simulated-noble-bindings.js';

export const SUB_A = subdeviceId('ABCDEFGHIJ', 'sensor-a');
export const SUB_B = subdeviceId('ABCDEFGHIJ', 'sensor-b');

export interface BleHarness extends SubdeviceLinkHarness {
  readonly link: BleSubdeviceLink;
  readonly central: SimulatedBleCentral;
  readonly sims: Map<string, SimulatedBleSubdevice>;
  /** Sizes of every ATT write the gateway made, per peripheral. */
  readonly attWrites: Map<string, number[]>;
}

/** A BleSubdeviceLink on a simulated central, with two simulated subdevices (powered off at first). */
export function makeBleHarness(mtu: number, latencyMs = 0, radio: 'simulated-central' | 'noble-on-simulated-radio' = 'simulated-central'): BleHarness {
  const central = new SimulatedBleCentral({ latencyMs, advertiseIntervalMs: 5 });
  const sims = new Map<string, SimulatedBleSubdevice>();
  const attWrites = new Map<string, number[]>();
  const peripherals: SimulatedBlePeripheral[] = [];
  for (const [i, sub] of [SUB_A, SUB_B].entries()) {
    const peripheral = new SimulatedBlePeripheral({
      id: `c0:ff:ee:00:00:0${i}`,
      localName: sub.deviceName,
      serviceUuids: [IOTGW_GATT_PROFILE.service],
      maxMtu: mtu,
    });
    peripheral.advertising = false;
    central.addPeripheral(peripheral);
    peripherals.push(peripheral);
    const sizes: number[] = [];
    attWrites.set(subdeviceKey(sub), sizes);
    peripheral.onSession((s) => s.on('data', (b) => sizes.push(b.length)));
    sims.set(subdeviceKey(sub), new SimulatedBleSubdevice(peripheral, { subdevice: sub, firmwareVersion: '1.0.0', applyMs: 20 }));
  }
  // The same peripherals, reached either by the simulated central or by the real noble central
  // (its code and noble's) on a simulated radio.
  const port: BleCentral =
    radio === 'simulated-central' ? central : new NobleBleCentral({ bindings: new SimulatedNobleBindings(peripherals), poweredOnTimeoutMs: 2_000 });
  const link = new BleSubdeviceLink({
    central: port,
    subdevices: [{ subdevice: SUB_A }, { subdevice: SUB_B }],
    backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    firmware: { chunkSize: 512, retransmitMs: 300 },
  });
  const sim = (s: SubdeviceId): SimulatedBleSubdevice => sims.get(subdeviceKey(s))!;
  return {
    link,
    central,
    sims,
    attWrites,
    subdevices: [SUB_A, SUB_B],
    attach: (s, version) => {
      sim(s).powerUp(version);
      return Promise.resolve();
    },
    cut: (s) => {
      sim(s).cut();
      return Promise.resolve();
    },
    sendFromSubdevice: (s, payload) => sim(s).sendData(payload),
    receivedBy: (s) => Promise.resolve([...sim(s).received]),
    setFirmwareBehaviour: (s, behaviour) => {
      sim(s).simulator.firmwareBehaviour = behaviour;
      return Promise.resolve();
    },
    firmwareReceived: (s) => Promise.resolve(sim(s).simulator.lastImage),
    dispose: async () => {
      await link.stop();
      for (const s of sims.values()) s.dispose();
      await central.close();
    },
  };
}
