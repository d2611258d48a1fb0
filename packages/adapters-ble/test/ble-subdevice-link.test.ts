import test from 'ava';
import { type DeliveryProgress, type GatewayError, LinkError, subdeviceId, subdeviceKey } from '@iotgw/domain';
import { SimulatedBleCentral, SimulatedBlePeripheral, SimulatedBleSubdevice } from '@iotgw/simulators';
import { eventually, memoryFirmwareImage, nextEvent, patternBytes } from '@iotgw/testkit';
import { BleSubdeviceLink, NobleBleCentral } from '../src/index.js';
import { SUB_A, makeBleHarness } from './ble-harness.js';

const IMAGE_SIZE = 48 * 1024;

for (const mtu of [23, 247]) {
  test(`MTU ${mtu}: data both ways and a ${IMAGE_SIZE / 1024} KiB firmware delivery, every ATT write ≤ MTU - 3`, async (t) => {
    const h = makeBleHarness(mtu, 1);
    t.teardown(() => h.dispose());
    await h.link.start();
    const attached = nextEvent((l) => h.link.on('attached', l), 10_000);
    await h.attach(SUB_A, '1.0.0');
    await attached;

    const down = patternBytes(1000, 5);
    await h.link.send(SUB_A, down);
    t.deepEqual((await h.receivedBy(SUB_A))[0], down);
    const up = nextEvent<{ payload: Uint8Array }>((l) => h.link.on('data', l));
    await h.sendFromSubdevice(SUB_A, patternBytes(700, 6));
    t.deepEqual((await up).payload, patternBytes(700, 6));

    const bytes = patternBytes(IMAGE_SIZE, 9);
    const progress: DeliveryProgress[] = [];
    const started = Date.now();
    const result = await h.link.deliverFirmware(SUB_A, memoryFirmwareImage(bytes, '2.0.0'), { onProgress: (p) => progress.push(p) });
    const ms = Date.now() - started;
    t.deepEqual(result, { ok: true, version: '2.0.0' });
    t.deepEqual(await h.firmwareReceived(SUB_A), bytes);
    t.is(progress.at(-1)?.phase, 'applying');
    const writes = h.attWrites.get(subdeviceKey(SUB_A))!;
    t.true(writes.length > 0 && writes.every((n) => n <= mtu - 3), 'every ATT write fits the MTU');
    t.true(writes.filter((n) => n === mtu - 3).length > IMAGE_SIZE / (mtu - 3) / 2, 'writes are filled to the MTU');
    t.log(`MTU ${mtu}: ${IMAGE_SIZE} B image in ${ms} ms over ${writes.length} ATT writes (simulated radio, 1 ms latency)`);
  });
}

test('radio loss mid-transfer: link.disconnected, automatic reconnect, and the retry resumes (MTU 23)', async (t) => {
  const h = makeBleHarness(23);
  t.teardown(() => h.dispose());
  const peripheralId = h.sims.get(subdeviceKey(SUB_A))!.peripheral.id;
  // The first connection dies after the gateway wrote 20 000 bytes on it.
  h.central.disconnectAfterBytes(peripheralId, 20_000);
  await h.link.start();
  const firstAttach = nextEvent((l) => h.link.on('attached', l), 10_000);
  await h.attach(SUB_A, '1.0.0');
  await firstAttach;

  const bytes = patternBytes(IMAGE_SIZE, 11);
  const image = memoryFirmwareImage(bytes, '3.0.0');
  // Deadlines, not speed targets: 20 000 bytes go first at MTU 23, slow on a crowded box.
  const detached = nextEvent<{ reason: string }>((l) => h.link.on('detached', l), 60_000);
  const reattached = nextEvent((l) => h.link.on('attached', l), 60_000);
  const error = await t.throwsAsync(h.link.deliverFirmware(SUB_A, image));
  t.true(error instanceof LinkError && error.code === 'link.disconnected', String(error));
  t.is((await detached).reason, 'link_lost');
  await reattached; // nobody called attach: the link reconnected on its own
  t.is(h.central.connectCount.get(peripheralId), 2);

  const writesBefore = h.attWrites.get(subdeviceKey(SUB_A))!.reduce((a, b) => a + b, 0);
  const progress: DeliveryProgress[] = [];
  const result = await h.link.deliverFirmware(SUB_A, image, { onProgress: (p) => progress.push(p) });
  t.deepEqual(result, { ok: true, version: '3.0.0' });
  t.deepEqual(await h.firmwareReceived(SUB_A), bytes);
  const sim = h.sims.get(subdeviceKey(SUB_A))!;
  t.is(sim.simulator.offersFrom[0], 0);
  t.true(sim.simulator.offersFrom[1]! > 10_000, `resumed at ${sim.simulator.offersFrom[1]}`);
  t.true(progress[0]!.bytes > 0);
  const resentBytes = h.attWrites.get(subdeviceKey(SUB_A))!.reduce((a, b) => a + b, 0) - writesBefore;
  t.true(resentBytes < IMAGE_SIZE, `second connection carried ${resentBytes} B, less than the image`);
  t.log(`resumed at ${sim.simulator.offersFrom[1]} of ${IMAGE_SIZE}; second connection carried ${resentBytes} B`);
});

test('a peripheral that matches by name but introduces itself as someone else is reported, not attached', async (t) => {
  const central = new SimulatedBleCentral({ advertiseIntervalMs: 5 });
  const peripheral = new SimulatedBlePeripheral({ id: 'p', localName: 'sensor-a' });
  central.addPeripheral(peripheral);
  const impostor = new SimulatedBleSubdevice(peripheral, { subdevice: subdeviceId('ZZZZZZZZZZ', 'other'), firmwareVersion: '1.0.0' });
  const link = new BleSubdeviceLink({ central, subdevices: [{ subdevice: SUB_A }] });
  const errors: GatewayError[] = [];
  link.on('error', (e) => errors.push(e));
  let attaches = 0;
  link.on('attached', () => attaches++);
  await link.start();
  await eventually(() => Promise.resolve(errors.length), (n) => n > 0, { what: 'identity error' });
  t.is(errors[0]!.code, 'link.protocol');
  t.regex(errors[0]!.message, /introduced itself as ZZZZZZZZZZ\/other/);
  t.is(attaches, 0);
  await link.stop();
  impostor.dispose();
  await central.close();
});

test('BleSubdeviceLink on the real central without Bluetooth: start rejects with link.unavailable', async (t) => {
  if (process.env.IOTGW_BLE_HARDWARE === '1') return t.pass('adapter present');
  const central = new NobleBleCentral({ poweredOnTimeoutMs: 1_500 });
  const link = new BleSubdeviceLink({ central, subdevices: [{ subdevice: SUB_A }] });
  const error = await t.throwsAsync(link.start());
  t.true(error instanceof LinkError && error.code === 'link.unavailable', String(error));
  await t.notThrowsAsync(link.stop());
  await central.close();
});

test('a cancelled delivery stops using the link; the next delivery resumes instead of finding it busy', async (t) => {
  const h = makeBleHarness(23);
  t.teardown(() => h.dispose());
  await h.link.start();
  const attached = nextEvent((l) => h.link.on('attached', l), 10_000);
  await h.attach(SUB_A, '1.0.0');
  await attached;
  const bytes = patternBytes(IMAGE_SIZE, 13);
  const stored = memoryFirmwareImage(bytes, '4.0.0');
  // An image whose reads ignore the signal, so only the link itself can stop the transfer.
  const image = { ...stored, read: (offset: number, length: number) => stored.read(offset, length) };
  const controller = new AbortController();
  const first = h.link.deliverFirmware(SUB_A, image, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.bytes >= 8_192) controller.abort();
    },
  });
  await t.throwsAsync(first, { code: 'operation.cancelled' });
  const writes = h.attWrites.get(subdeviceKey(SUB_A))!;
  const countAtCancel = writes.length;
  await new Promise((r) => setTimeout(r, 300));
  t.true(writes.length - countAtCancel < 100, `only in-flight writes after cancel (${writes.length - countAtCancel})`);
  const result = await h.link.deliverFirmware(SUB_A, image);
  t.deepEqual(result, { ok: true, version: '4.0.0' });
  const sim = h.sims.get(subdeviceKey(SUB_A))!;
  t.true(sim.simulator.offersFrom[1]! >= 8_192, `resumed at ${sim.simulator.offersFrom[1]}`);
  t.deepEqual(await h.firmwareReceived(SUB_A), bytes);
});

test('stop closes the central it owns; the link can start again and reattaches', async (t) => {
  const h = makeBleHarness(247);
  t.teardown(() => h.dispose());
  await h.link.start();
  let attaches = 0;
  h.link.on('attached', () => attaches++);
  await h.attach(SUB_A, '1.0.0');
  await eventually(() => Promise.resolve(attaches), (n) => n === 1, { what: 'first attach' });
  await h.link.stop();
  const peripheralId = h.sims.get(subdeviceKey(SUB_A))!.peripheral.id;
  t.is(h.sims.get(subdeviceKey(SUB_A))!.peripheral.session, undefined, 'connection closed');
  await h.link.start();
  await eventually(() => Promise.resolve(attaches), (n) => n === 2, { what: 'attach after restart' });
  t.is(h.central.connectCount.get(peripheralId), 2);
});
