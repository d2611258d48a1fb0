import test from 'ava';
import { randomBytes } from 'node:crypto';
import { isGatewayError } from '@iotgw/domain';
import { SimulatedBleCentral, SimulatedBlePeripheral } from '@iotgw/simulators';
import { describeByteStreamContract } from '@iotgw/testkit';
import {
  BleByteStream,
  type BleCentral,
  IOTGW_GATT_PROFILE,
  attPayloadSize,
  fragment,
} from '../src/index.js';

test('ATT payload is MTU minus the 3-byte ATT header', (t) => {
  t.is(attPayloadSize(23), 20);
  t.is(attPayloadSize(247), 244);
  t.is(attPayloadSize(517), 514);
  for (const bad of [22, 518, 23.5, Number.NaN]) {
    const error = t.throws(() => attPayloadSize(bad));
    t.true(isGatewayError(error) && error.code === 'validation.invalid', String(bad));
  }
});

const table: Array<[length: number, mtu: number, pieces: number[]]> = [
  [0, 23, []],
  [1, 23, [1]],
  [20, 23, [20]],
  [21, 23, [20, 1]],
  [60, 23, [20, 20, 20]],
  [244, 247, [244]],
  [1000, 247, [244, 244, 244, 244, 24]],
];
for (const [length, mtu, pieces] of table) {
  test(`fragment ${length} bytes at MTU ${mtu} → [${pieces.join(', ')}]`, (t) => {
    const bytes = randomBytes(length);
    const out = fragment(bytes, mtu);
    t.deepEqual(out.map((p) => p.length), pieces);
    t.deepEqual(Buffer.concat(out), bytes);
  });
}

async function connectedPair(mtu: number, latencyMs = 0) {
  const central = new SimulatedBleCentral({ latencyMs });
  const peripheral = new SimulatedBlePeripheral({ id: 'aa:bb', localName: 'sub1', maxMtu: mtu, serviceUuids: [IOTGW_GATT_PROFILE.service] });
  central.addPeripheral(peripheral);
  const port: BleCentral = central; // the simulated central fits the port
  const connection = await port.connect('aa:bb', { mtu: 247 });
  const channel = await connection.openChannel(IOTGW_GATT_PROFILE);
  const session = peripheral.session!;
  return { central, peripheral, connection, channel, session, stream: new BleByteStream(channel, connection) };
}

for (const mtu of [23, 247]) {
  test(`byte stream round trip at MTU ${mtu}: fragments fit, bytes arrive whole and in order`, async (t) => {
    const { central, connection, session, stream } = await connectedPair(mtu, 1);
    t.is(connection.mtu, mtu);
    const down: Buffer[] = [];
    session.on('data', (b) => down.push(Buffer.from(b)));
    const up: Buffer[] = [];
    stream.on('data', (b) => up.push(Buffer.from(b)));

    const a = randomBytes(3000);
    const b = randomBytes(777);
    // Two concurrent writes must not interleave their fragments.
    stream.write(a);
    stream.write(b);
    await stream.drain();
    const back = randomBytes(2500);
    session.write(back);
    await until(() => Buffer.concat(down).length === a.length + b.length && Buffer.concat(up).length === back.length);

    t.deepEqual(Buffer.concat(down), Buffer.concat([a, b]));
    t.deepEqual(Buffer.concat(up), back);
    t.true(down.every((p) => p.length <= mtu - 3));
    t.true(up.every((p) => p.length <= mtu - 3));
    t.is(stream.stats.writes, Math.ceil(3000 / (mtu - 3)) + Math.ceil(777 / (mtu - 3)));
    await central.close();
  });
}

test('an ATT write larger than MTU - 3 is refused (so fragmentation is really needed)', async (t) => {
  const { central, channel } = await connectedPair(23);
  const error = await t.throwsAsync(channel.write(new Uint8Array(21)));
  t.true(isGatewayError(error) && error.code === 'validation.invalid');
  await central.close();
});

test('the negotiated MTU is the smaller of the ask and the peripheral limit', async (t) => {
  const central = new SimulatedBleCentral();
  central.addPeripheral(new SimulatedBlePeripheral({ id: 'p', maxMtu: 100 }));
  t.is((await central.connect('p', { mtu: 247 })).mtu, 100);
  t.is((await central.connect('p', { mtu: 50 })).mtu, 50);
  await central.close();
});

test('an injected disconnect mid-write ends the stream (closed, not by the caller) and tells both ends once', async (t) => {
  const central = new SimulatedBleCentral();
  const peripheral = new SimulatedBlePeripheral({ id: 'p', maxMtu: 23 });
  central.addPeripheral(peripheral);
  central.disconnectAfterBytes('p', 100);
  const connection = await central.connect('p');
  const stream = new BleByteStream(await connection.openChannel(IOTGW_GATT_PROFILE), connection);
  let centralHeard = 0;
  let peripheralHeard = 0;
  const closed: Array<{ byCaller: boolean }> = [];
  const errors: unknown[] = [];
  connection.onDisconnect(() => centralHeard++);
  peripheral.session!.on('closed', () => peripheralHeard++);
  stream.on('closed', (e) => closed.push(e));
  stream.on('error', (e) => errors.push(e));
  stream.write(randomBytes(1000));
  await until(() => centralHeard === 1 && peripheralHeard === 1 && closed.length === 1);
  await stream.drain();
  t.false(connection.connected);
  t.false(stream.isOpen);
  t.deepEqual(closed, [{ reason: 'connection lost (injected)', byCaller: false }]);
  t.deepEqual(errors, [], 'a write cut short by the disconnect is the disconnect, not another error');
  t.is(stream.stats.bytesWritten, 100);
  // Later writes are dropped; nothing is stuck or thrown.
  t.notThrows(() => stream.write(new Uint8Array(5)));
  await stream.drain();
  t.is(stream.stats.bytesWritten, 100);
  t.is(centralHeard, 1);
  await central.close();
});

test('scan reports matching advertisements until the handle is closed', async (t) => {
  const central = new SimulatedBleCentral({ advertiseIntervalMs: 5 });
  central.addPeripheral(new SimulatedBlePeripheral({ id: 'ours', localName: 'sub1', serviceUuids: [IOTGW_GATT_PROFILE.service] }));
  central.addPeripheral(new SimulatedBlePeripheral({ id: 'other', localName: 'kettle', serviceUuids: ['180d'] }));
  const seen = new Set<string>();
  const handle = await central.scan({ services: [IOTGW_GATT_PROFILE.service.toUpperCase()] }, (ad) => seen.add(ad.id));
  await until(() => seen.size > 0);
  handle.close();
  t.deepEqual([...seen], ['ours']);
  await central.close();
});

test('a powered-off simulated radio refuses with link.unavailable', async (t) => {
  const central = new SimulatedBleCentral({ poweredOff: true });
  const error = await t.throwsAsync(central.scan({}, () => {}));
  t.true(isGatewayError(error) && error.code === 'link.unavailable');
});

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

// The ByteStream contract: the gateway's GATT stream against the peripheral's end of the connection.
describeByteStreamContract(
  test,
  async () => {
    const { central, session, stream } = await connectedPair(23, 1);
    return { stream, far: session, vanish: () => session.close(), dispose: () => central.close() };
  },
  { name: 'BleByteStream @MTU 23', largeWrite: 4096 },
);
