import test from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { SimulatedBleCentral, SimulatedBlePeripheral } from '@iotgw/testkit';
import {
  type BleByteStream,
  BleConnectionSupervisor,
  type DeclaredBleSubdevice,
  IOTGW_GATT_PROFILE,
  matchesAdvertisement,
} from '../src/index.js';

const ad = (over: Partial<{ id: string; localName: string; manufacturerData: Uint8Array }>) => ({
  id: 'aa:bb', localName: undefined, serviceUuids: [], manufacturerData: undefined, rssi: -50, ...over,
});

test('matching: local name = device name by default; explicit rules must all hold', (t) => {
  const sub = subdeviceId('ABCDEFGHIJ', 'sub1');
  t.true(matchesAdvertisement({ subdevice: sub }, ad({ localName: 'sub1' })));
  t.false(matchesAdvertisement({ subdevice: sub }, ad({ localName: 'sub2' })));
  const byMfr = { subdevice: sub, match: { manufacturerDataPrefix: Uint8Array.of(0xff, 0xff, 0x01) } };
  t.true(matchesAdvertisement(byMfr, ad({ manufacturerData: Uint8Array.of(0xff, 0xff, 0x01, 0x09) })));
  t.false(matchesAdvertisement(byMfr, ad({ manufacturerData: Uint8Array.of(0xff, 0xff) })));
  t.false(matchesAdvertisement(byMfr, ad({})));
  const both = { subdevice: sub, match: { localName: 'x', peripheralId: 'AA:BB' } };
  t.true(matchesAdvertisement(both, ad({ localName: 'x' })));
  t.false(matchesAdvertisement(both, ad({ localName: 'x', id: 'cc:dd' })));
});

test('supervisor connects the matching peripheral, ignores others, reconnects with backoff after a drop', async (t) => {
  const central = new SimulatedBleCentral({ advertiseIntervalMs: 5 });
  const ours = new SimulatedBlePeripheral({ id: 'p1', localName: 'sub1', maxMtu: 23 });
  central.addPeripheral(ours);
  central.addPeripheral(new SimulatedBlePeripheral({ id: 'p2', localName: 'stranger' }));
  // The peripheral echoes what it receives.
  ours.onSession((s) => s.onData((b) => s.write(b)));
  const declared: DeclaredBleSubdevice = { subdevice: subdeviceId('ABCDEFGHIJ', 'sub1') };
  const ups: BleByteStream[] = [];
  const downs: string[] = [];
  const supervisor = new BleConnectionSupervisor({
    central,
    profile: IOTGW_GATT_PROFILE,
    subdevices: [declared],
    backoff: { initialMs: 50 },
    onUp: (_d, stream) => ups.push(stream),
    onDown: (_d, reason) => downs.push(reason),
    onError: (_d, e) => t.fail(e.message),
  });
  await supervisor.start();
  await until(() => ups.length === 1);
  t.is(ups[0]!.mtu, 23);
  const echoed: number[] = [];
  ups[0]!.onData((b) => echoed.push(...b));
  await ups[0]!.write(Uint8Array.from({ length: 50 }, (_, i) => i));
  await until(() => echoed.length === 50);
  t.deepEqual(echoed, Array.from({ length: 50 }, (_, i) => i));

  const droppedAt = Date.now();
  central.disconnect('p1');
  await until(() => ups.length === 2);
  t.true(Date.now() - droppedAt >= 45, 'waited for the backoff before reconnecting');
  t.is(downs.length, 1);
  t.is(central.connectCount.get('p1'), 2);
  t.is(central.connectCount.get('p2'), undefined);
  t.is(supervisor.failures(declared), 1);
  supervisor.markHealthy(declared);
  t.is(supervisor.failures(declared), 0);

  await supervisor.stop();
  await new Promise((r) => setTimeout(r, 80));
  t.is(downs.length, 1, 'stop does not report a loss');
  t.is(central.connectCount.get('p1'), 2, 'no reconnect after stop');
  await central.close();
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
