import test from 'ava';
import { LinkError, subdeviceId, ValidationError } from '@iotgw/domain';
import { memoryFirmwareImage, MemorySubdeviceLink, patternBytes } from '../src/index.js';

const A = subdeviceId('ABCDEFGHIJ', 'a');

test('subdevices attached before start announce themselves on start', async (t) => {
  const link = new MemorySubdeviceLink();
  link.attach(A, '1.0.0');
  t.deepEqual(link.attachedSubdevices(), []);
  const seen: string[] = [];
  link.on('attached', (a) => seen.push(a.firmwareVersion));
  await link.start();
  t.deepEqual(seen, ['1.0.0']);
});

test('capabilities default to 1024 bytes, reliable, firmware; options override', (t) => {
  t.deepEqual(new MemorySubdeviceLink().capabilities, { maxPayloadSize: 1024, isReliable: true, supportsFirmware: true });
  t.is(new MemorySubdeviceLink({ capabilities: { maxPayloadSize: 20 } }).capabilities.maxPayloadSize, 20);
});

test('a link without firmware support refuses deliveries with link.unavailable', async (t) => {
  const link = new MemorySubdeviceLink({ capabilities: { supportsFirmware: false } });
  await link.start();
  link.attach(A, '1.0.0');
  const error = await t.throwsAsync(link.deliverFirmware(A, memoryFirmwareImage(patternBytes(10))), { instanceOf: LinkError });
  t.is(error?.code, 'link.unavailable');
});

test('cut-at records the acked offset; the resumed delivery starts there (deliveredFrom)', async (t) => {
  const link = new MemorySubdeviceLink({ capabilities: { maxPayloadSize: 100 } });
  await link.start();
  const sub = link.attach(A, '1.0.0');
  sub.firmwareBehaviour = { cutAt: 250 };
  const image = memoryFirmwareImage(patternBytes(1000), '2.0.0');
  await t.throwsAsync(link.deliverFirmware(A, image), { instanceOf: LinkError });
  t.is(sub.ackedOffset, 250);
  t.false(sub.attached);
  link.attach(A, '1.0.0');
  t.deepEqual(await link.deliverFirmware(A, image), { ok: true, version: '2.0.0' });
  t.deepEqual(sub.deliveredFrom, [0, 250]);
  t.is(sub.version, '2.0.0');
});

test('a different image restarts delivery from 0', async (t) => {
  const link = new MemorySubdeviceLink({ capabilities: { maxPayloadSize: 100 } });
  await link.start();
  const sub = link.attach(A, '1.0.0');
  sub.firmwareBehaviour = { cutAt: 300 };
  await t.throwsAsync(link.deliverFirmware(A, memoryFirmwareImage(patternBytes(1000, 1), '2.0.0')));
  link.attach(A, '1.0.0');
  await link.deliverFirmware(A, memoryFirmwareImage(patternBytes(1000, 2), '2.0.1'));
  t.deepEqual(sub.deliveredFrom, [0, 0]);
});

test('emitData for a detached subdevice is a test mistake and throws', async (t) => {
  const link = new MemorySubdeviceLink();
  await link.start();
  t.throws(() => link.emitData(A, 'x'), { instanceOf: LinkError });
  t.throws(() => link.setFirmwareBehaviour(A, 'success'), { instanceOf: ValidationError });
});

test('sent records every accepted payload as a copy', async (t) => {
  const link = new MemorySubdeviceLink();
  await link.start();
  link.attach(A, '1.0.0');
  const bytes = new Uint8Array([1, 2]);
  await link.send(A, bytes);
  bytes[0] = 9;
  t.deepEqual([...link.sent[0]!.payload], [1, 2]);
});
