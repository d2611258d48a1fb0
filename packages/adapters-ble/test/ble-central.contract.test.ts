import test from 'ava';
import { SimulatedBleCentral, SimulatedBlePeripheral } from '@iotgw/simulators';
import { IOTGW_GATT_PROFILE, NobleBleCentral } from '../src/index.js';
import { describeBleCentralContract } from './ble-central.contract.js';
import { SimulatedNobleBindings, idOf } from './simulated-noble-bindings.js';

const hasBluetooth = process.env.IOTGW_BLE_HARDWARE === '1';

function peripheral(): SimulatedBlePeripheral {
  return new SimulatedBlePeripheral({ id: 'c0:ff:ee:00:00:07', localName: 'sensor-7', maxMtu: 100, serviceUuids: [IOTGW_GATT_PROFILE.service] });
}

describeBleCentralContract(
  test,
  () => {
    const p = peripheral();
    const central = new SimulatedBleCentral({ advertiseIntervalMs: 5 });
    central.addPeripheral(p);
    return Promise.resolve({
      central,
      peripheral: { id: p.id, localName: 'sensor-7', maxMtu: 100, session: () => p.session, drop: () => central.disconnect(p.id) },
      dispose: () => central.close(),
    });
  },
  { name: 'SimulatedBleCentral', radio: true },
);

// NobleBleCentral's own code and noble's JavaScript, on a simulated radio below noble.
describeBleCentralContract(
  test,
  () => {
    const p = peripheral();
    const bindings = new SimulatedNobleBindings([p]);
    const central = new NobleBleCentral({ bindings, poweredOnTimeoutMs: 2_000 });
    return Promise.resolve({
      central,
      peripheral: { id: idOf(p.id), localName: 'sensor-7', maxMtu: 100, session: () => p.session, drop: () => bindings.drop(p.id) },
      dispose: () => central.close(),
    });
  },
  { name: 'NobleBleCentral on a simulated radio', radio: true },
);

describeBleCentralContract(
  test,
  () => Promise.resolve({ central: new SimulatedBleCentral({ poweredOff: true }), dispose: () => Promise.resolve() }),
  { name: 'SimulatedBleCentral powered off', radio: false },
);

describeBleCentralContract(
  test,
  () => {
    const central = new NobleBleCentral({ bindings: new SimulatedNobleBindings([], { state: 'unsupported' }), poweredOnTimeoutMs: 2_000 });
    return Promise.resolve({ central, dispose: () => central.close() });
  },
  { name: 'NobleBleCentral on a radio that reports unsupported', radio: false },
);

if (!hasBluetooth) {
  // The real module on this machine: no adapter, so the "no radio" clauses.
  describeBleCentralContract(
    test,
    () => {
      const central = new NobleBleCentral({ poweredOnTimeoutMs: 1_500 });
      return Promise.resolve({ central, dispose: () => central.close() });
    },
    { name: 'NobleBleCentral without Bluetooth hardware', radio: false },
  );
}
