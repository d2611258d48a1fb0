import test from 'ava';
import { encodeFrame, GatewayEngine, type PeerInfo } from '@iotgw/link-protocol';
import { AddressedBus, createMemoryPipe, SubdeviceSimulator } from '../src/index.js';

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
const frame = (address: number, seq: number) => encodeFrame({ address, type: 0x05, seq, payload: Uint8Array.of(address, seq) });

test('each subdevice on a shared bus gets only the frames addressed to it, and broadcasts; a corrupted frame reaches nobody', async (t) => {
  const [gatewaySide, busSide] = createMemoryPipe();
  const bus = new AddressedBus(busSide);
  const got = new Map<number, Uint8Array[]>();
  for (const address of [1, 2, 3]) {
    got.set(address, []);
    bus.subdevice(address).on('data', (bytes) => got.get(address)!.push(bytes));
  }
  const corrupted = frame(2, 9);
  corrupted[3] = corrupted[3]! ^ 0x40;
  // Split mid-frame, as a UART delivers bytes.
  const wire = Buffer.concat([frame(1, 1), frame(2, 2), corrupted, frame(0xff, 3), frame(9, 4)]);
  gatewaySide.write(wire.subarray(0, 7));
  gatewaySide.write(wire.subarray(7));
  await flush();
  t.deepEqual(got.get(1), [frame(1, 1), frame(0xff, 3)]);
  t.deepEqual(got.get(2), [frame(2, 2), frame(0xff, 3)]);
  t.deepEqual(got.get(3), [frame(0xff, 3)]);
});

test('a subdevice writes onto the bus; closing its view leaves the bus and the others open; the bus closing closes every view', async (t) => {
  const [gatewaySide, busSide] = createMemoryPipe();
  const bus = new AddressedBus(busSide);
  const one = bus.subdevice(1);
  const two = bus.subdevice(2);
  const heard: Uint8Array[] = [];
  gatewaySide.on('data', (b) => heard.push(b));
  one.write(Uint8Array.of(1, 2, 3));
  await flush();
  t.deepEqual(heard, [Uint8Array.of(1, 2, 3)]);
  t.is(one.name, `${busSide.name}@1`);
  t.throws(() => bus.subdevice(2), { message: /address 2 is already taken/ });
  t.throws(() => bus.subdevice(255), { instanceOf: RangeError });
  await one.close();
  t.false(one.isOpen);
  t.true(two.isOpen && busSide.isOpen);
  t.notThrows(() => bus.subdevice(1), 'a closed view frees its address');
  const closed: string[] = [];
  two.on('closed', (e) => closed.push(e.reason));
  await gatewaySide.close();
  await flush();
  t.deepEqual(closed, ['closed by the other end']);
  t.false(two.isOpen);
});

test('250 simulated subdevices on one bus attach to a gateway engine through their views', async (t) => {
  const [gatewaySide, busSide] = createMemoryPipe();
  const attached: PeerInfo[] = [];
  const engine = new GatewayEngine({ transmit: (b) => gatewaySide.write(b), attached: (p) => attached.push(p) }, {});
  gatewaySide.on('data', (b) => engine.feed(b));
  engine.start();
  const bus = new AddressedBus(busSide);
  const sims = Array.from({ length: 250 }, (_, i) => new SubdeviceSimulator(bus.subdevice(i + 1), { productId: 'P', deviceName: `s${i + 1}`, firmwareVersion: '1.0.0', address: i + 1 }));
  sims.forEach((s) => s.start());
  const deadline = Date.now() + 30_000;
  while (attached.length < 250 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(attached.length, 250);
  t.deepEqual(new Set(attached.map((p) => p.address)).size, 250);
  sims.forEach((s) => s.stop());
  engine.stop();
});
