import test from 'ava';
import { LinkError, ValidationError, subdeviceId, type GatewayError } from '@iotgw/domain';
import { FrameDecoder, RefusalReason, packetOf } from '@iotgw/link-protocol';
import { MemoryStreamProvider, SubdeviceSimulator } from '@iotgw/simulators';
import { eventually, nextEvent } from '@iotgw/testkit';
import { LinkProtocolSubdeviceLink } from '../src/index.js';
import { memoryBus } from './memory-bus.js';

const A = subdeviceId('ABCDEFGHIJ', 'valve-a');
const B = subdeviceId('ABCDEFGHIJ', 'valve-b');
const STRANGER = subdeviceId('ZZZZZZZZZZ', 'stranger');

test('an undeclared subdevice is refused with a reason it can show; it never attaches and nothing of it is delivered', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }] });
  t.teardown(() => b.dispose());
  const errors: GatewayError[] = [];
  b.link.on('error', (e) => errors.push(e));
  let attached = 0;
  b.link.on('attached', () => attached++);
  let data = 0;
  b.link.on('data', () => data++);
  await b.link.start();
  const sim = b.simulator({ subdevice: STRANGER });
  const refused = nextEvent<{ reason: number; message: string; retryAfterMs: number }>((l) => sim.events.on('refused', l));
  sim.start();
  const refusal = await refused;
  t.is(refusal.reason, RefusalReason.NOT_DECLARED);
  t.is(refusal.message, 'ZZZZZZZZZZ/stranger is not served by this gateway');
  t.is(refusal.retryAfterMs, 60_000);
  await t.throwsAsync(sim.sendData(Uint8Array.of(1), 50), { message: /not connected/ });
  t.is(attached, 0);
  t.is(data, 0);
  t.is(errors.length, 1);
  t.true(errors[0] instanceof LinkError && errors[0].code === 'link.protocol');
  t.regex(errors[0]!.message, /ZZZZZZZZZZ\/stranger \(address 1\) is not declared for this link: add it/);
});

test('a revision-1 subdevice that is refused keeps saying HELLO; the gateway answers each but reports it once', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }] });
  t.teardown(() => b.dispose());
  const errors: GatewayError[] = [];
  b.link.on('error', (e) => errors.push(e));
  const refusals: number[] = [];
  const decoder = new FrameDecoder();
  b.bus.on('data', (bytes) => {
    for (const f of decoder.push(bytes)) if (packetOf(f)?.message.type === 'hello_refused') refusals.push(f.seq);
  });
  await b.link.start();
  const sim = b.simulator({ subdevice: STRANGER, revision: 1, helloRetryMs: 20 });
  sim.start();
  await eventually(() => refusals.length, (n) => n >= 5, { what: 'five refused HELLOs' });
  t.false(sim.connected);
  t.is(errors.length, 1, 'reported once, not per HELLO');
});

test('a subdevice declared at one address that says HELLO at another is refused; so is one taking a declared address', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A, address: 5 }, { subdevice: B }] });
  t.teardown(() => b.dispose());
  const errors: string[] = [];
  b.link.on('error', (e) => errors.push(e.message));
  await b.link.start();
  const wrong = b.simulator({ subdevice: A, address: 6 });
  const refusedA = nextEvent<{ reason: number; message: string }>((l) => wrong.events.on('refused', l));
  wrong.start();
  t.like(await refusedA, { reason: RefusalReason.WRONG_ADDRESS, message: 'ABCDEFGHIJ/valve-a is declared at address 5' });
  const squatter = b.simulator({ subdevice: B, address: 5 });
  const refusedB = nextEvent<{ reason: number; message: string }>((l) => squatter.events.on('refused', l));
  squatter.start();
  t.like(await refusedB, { reason: RefusalReason.WRONG_ADDRESS, message: 'address 5 belongs to ABCDEFGHIJ/valve-a' });
  t.regex(errors.join('\n'), /said HELLO at address 6 but is declared at 5: fix the device's address or the config/);
  // At their right addresses both attach.
  wrong.stop();
  squatter.stop();
  const right = b.simulator({ subdevice: A, address: 5 });
  const attached = nextEvent((l) => b.link.on('attached', l));
  right.start();
  await attached;
  t.deepEqual(b.link.attachedSubdevices().map((x) => x.subdevice.deviceName), ['valve-a']);
});

test('an address used twice, or a subdevice listed twice, is refused when the link is built', (t) => {
  const provider = new MemoryStreamProvider();
  const clash = t.throws(
    () => new LinkProtocolSubdeviceLink({ name: 'rs485', provider, subdevices: [{ subdevice: A, address: 3 }, { subdevice: B, address: 3 }] }),
    { instanceOf: ValidationError },
  );
  t.regex(clash?.message ?? '', /address 3 is used by both ABCDEFGHIJ\/valve-a and ABCDEFGHIJ\/valve-b on one bus/);
  t.throws(() => new LinkProtocolSubdeviceLink({ name: 'rs485', provider, subdevices: [{ subdevice: A }, { subdevice: A, address: 2 }] }), {
    message: /listed twice/,
  });
  t.throws(() => new LinkProtocolSubdeviceLink({ name: 'rs485', provider, subdevices: [{ subdevice: A, address: 255 }] }), {
    message: /address 255 of ABCDEFGHIJ\/valve-a is out of range: use 1\.\.254/,
  });
});

test('a stream opened for one subdevice refuses anyone else (a BLE match rule that caught the wrong peripheral)', async (t) => {
  const provider = new MemoryStreamProvider();
  const link = new LinkProtocolSubdeviceLink({ name: 'ble-like', provider, subdevices: [{ subdevice: A }, { subdevice: B }] });
  t.teardown(() => link.stop());
  await link.start();
  const end = provider.plug({ subdevice: A });
  const sim = new SubdeviceSimulator(end, { productId: B.productId, deviceName: B.deviceName, firmwareVersion: '1.0.0' });
  t.teardown(() => sim.stop());
  const refused = nextEvent<{ message: string }>((l) => sim.events.on('refused', l));
  sim.start();
  t.is((await refused).message, 'this connection is for ABCDEFGHIJ/valve-a');
});

test('frames with the other CRC kind are reported once, naming the setting to change', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }] });
  t.teardown(() => b.dispose());
  const errors: GatewayError[] = [];
  b.link.on('error', (e) => errors.push(e));
  await b.link.start();
  b.simulator({ subdevice: A, framing: { crc: 'crc16' }, helloRetryMs: 20 }).start();
  await eventually(() => errors.length, (n) => n >= 1, { what: 'a CRC hint' });
  await new Promise((r) => setTimeout(r, 150));
  t.is(errors.length, 1);
  t.regex(errors[0]!.message, /carry crc16 checksums but the link uses crc32c: set the link's "crc" to "crc16"/);
  t.deepEqual(b.link.attachedSubdevices(), []);
});

test('a link built without a list of subdevices serves whoever says HELLO', async (t) => {
  const b = memoryBus();
  t.teardown(() => b.dispose());
  await b.link.start();
  const attached = nextEvent((l) => b.link.on('attached', l));
  b.simulator({ subdevice: STRANGER }).start();
  await attached;
  t.is(b.link.attachedSubdevices()[0]?.subdevice.deviceName, 'stranger');
});
