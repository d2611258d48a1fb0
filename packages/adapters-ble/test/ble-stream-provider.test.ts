import test from 'ava';
import { subdeviceId } from '@iotgw/domain';
import type { ByteStream, SubdeviceId } from '@iotgw/domain';
import { SimulatedBleCentral, SimulatedBlePeripheral } from '@iotgw/simulators';
import { BleStreamProvider, type DeclaredBleSubdevice, IOTGW_GATT_PROFILE, matchesAdvertisement } from '../src/index.js';

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

test('provider connects the matching peripheral, ignores others, reconnects with backoff after a drop', async (t) => {
  const central = new SimulatedBleCentral({ advertiseIntervalMs: 5 });
  const ours = new SimulatedBlePeripheral({ id: 'p1', localName: 'sub1', maxMtu: 23 });
  central.addPeripheral(ours);
  central.addPeripheral(new SimulatedBlePeripheral({ id: 'p2', localName: 'stranger' }));
  // The peripheral echoes what it receives.
  ours.onSession((s) => s.on('data', (b) => s.write(b)));
  const declared: DeclaredBleSubdevice = { subdevice: subdeviceId('ABCDEFGHIJ', 'sub1') };
  const ups: Array<{ stream: ByteStream; subdevice?: SubdeviceId }> = [];
  const downs: string[] = [];
  const provider = new BleStreamProvider({ central, profile: IOTGW_GATT_PROFILE, subdevices: [declared], backoff: { initialDelayMs: 50 } });
  provider.on('stream', (provided) => {
    ups.push(provided);
    provided.stream.on('closed', ({ reason }) => downs.push(reason));
  });
  provider.on('error', (e) => t.fail(e.message));
  await provider.open();
  await until(() => ups.length === 1);
  t.is(ups[0]!.stream.capabilities.maxChunkSize, 20);
  t.is(ups[0]!.subdevice, declared.subdevice, 'the stream says which declared subdevice it was opened for');
  const echoed: number[] = [];
  ups[0]!.stream.on('data', (b) => echoed.push(...b));
  ups[0]!.stream.write(Uint8Array.from({ length: 50 }, (_, i) => i));
  await until(() => echoed.length === 50);
  t.deepEqual(echoed, Array.from({ length: 50 }, (_, i) => i));
  t.is(provider.failures(declared), 0, 'a connection that carried bytes resets the backoff');

  const droppedAt = Date.now();
  central.disconnect('p1');
  await until(() => ups.length === 2);
  t.true(Date.now() - droppedAt >= 45, 'waited for the backoff before reconnecting');
  t.is(downs.length, 1);
  t.is(central.connectCount.get('p1'), 2);
  t.is(central.connectCount.get('p2'), undefined);
  t.is(provider.failures(declared), 1);

  await provider.close();
  await new Promise((r) => setTimeout(r, 80));
  t.is(downs.length, 2, 'close ends the open stream');
  t.is(central.connectCount.get('p1'), 2, 'no reconnect after close');
  await central.close();
});

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
