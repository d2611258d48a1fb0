import test from 'ava';
import { CancelledError, LinkError, subdeviceId, type DeliveryProgress, type SubdeviceAttachment } from '@iotgw/domain';
import { FrameDecoder, packetOf, type MessageName } from '@iotgw/link-protocol';
import { eventually, memoryFirmwareImage, nextEvent, patternBytes } from '@iotgw/testkit';
import { memoryBus, type MemoryBus } from './memory-bus.js';

const A = subdeviceId('ABCDEFGHIJ', 'pump');

/** Every message type crossing the bus, by direction, as the gateway and the subdevice sent them. */
function spy(b: MemoryBus): { fromGateway: MessageName[]; fromSubdevice: MessageName[] } {
  const seen = { fromGateway: [] as MessageName[], fromSubdevice: [] as MessageName[] };
  const decoder = new FrameDecoder();
  b.bus.on('data', (bytes) => {
    for (const f of decoder.push(bytes)) {
      const p = packetOf(f);
      if (p) seen.fromGateway.push(p.message.type);
    }
  });
  const up = new FrameDecoder();
  const write = b.bus.write.bind(b.bus);
  b.bus.write = (bytes: Uint8Array) => {
    for (const f of up.push(bytes)) {
      const p = packetOf(f);
      if (p) seen.fromSubdevice.push(p.message.type);
    }
    write(bytes);
  };
  return seen;
}

async function attachedSim(b: MemoryBus, options: Parameters<MemoryBus['simulator']>[0]) {
  await b.link.start();
  const sim = b.simulator(options);
  const attached = nextEvent<SubdeviceAttachment>((l) => b.link.on('attached', l));
  sim.start();
  await attached;
  await eventually(() => sim.connected, (c) => c, { what: 'HELLO_ACK at the subdevice' });
  return sim;
}

test('without RELIABLE_DATA, DATA goes once each way: no acknowledgements, no resends, no "no acknowledgement" failure', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }], ackTimeoutMs: 30 });
  t.teardown(() => b.dispose());
  const seen = spy(b);
  const sim = await attachedSim(b, { subdevice: A, reliableData: false });
  const up = nextEvent<{ payload: Uint8Array }>((l) => b.link.on('data', l));
  await sim.sendData(Uint8Array.of(7));
  t.deepEqual((await up).payload, Uint8Array.of(7));
  await b.link.send(A, Uint8Array.of(1));
  await b.link.send(A, Uint8Array.of(2));
  // Ten ack timeouts: a reliable sender would have resent several times by now.
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(sim.received, [Uint8Array.of(1), Uint8Array.of(2)]);
  t.is(seen.fromGateway.filter((m) => m === 'data').length, 2, 'each DATA sent once');
  t.is(seen.fromGateway.filter((m) => m === 'data_ack').length, 0);
  t.is(seen.fromSubdevice.filter((m) => m === 'data_ack').length, 0);
});

test('with RELIABLE_DATA both sides acknowledge each DATA', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }] });
  t.teardown(() => b.dispose());
  const seen = spy(b);
  const sim = await attachedSim(b, { subdevice: A });
  await sim.sendData(Uint8Array.of(7));
  await b.link.send(A, Uint8Array.of(1));
  t.is(seen.fromGateway.filter((m) => m === 'data_ack').length, 1);
  t.is(seen.fromSubdevice.filter((m) => m === 'data_ack').length, 1);
});

for (const [how, act] of [
  ['a quick reboot (power cut, back before the keepalive timeout)', (sim: { restart(): void }) => sim.restart()],
  ['BYE(reboot) then HELLO', (sim: { reboot(): void }) => sim.reboot()],
] as const) {
  test(`${how} is reported as detached (reboot) then attached`, async (t) => {
    const b = memoryBus({ subdevices: [{ subdevice: A }], keepaliveTimeoutMs: 5_000 });
    t.teardown(() => b.dispose());
    const sim = await attachedSim(b, { subdevice: A });
    // Traffic since the HELLO, so the next HELLO is a reboot and not a retry.
    await sim.sendData(Uint8Array.of(1));
    const events: Array<[string, string]> = [];
    b.link.on('detached', (d) => events.push(['detached', d.reason]));
    b.link.on('attached', (a) => events.push(['attached', a.firmwareVersion]));
    act(sim);
    await eventually(() => events.length, (n) => n >= 2, { what: 'detach and attach' });
    t.deepEqual(events, [
      ['detached', 'reboot'],
      ['attached', '1.0.0'],
    ]);
  });
}

test('a quick reboot mid-transfer: the delivery rejects link.disconnected and the next one resumes at the held offset', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }], keepaliveTimeoutMs: 10_000 });
  t.teardown(() => b.dispose());
  const sim = await attachedSim(b, { subdevice: A, firmware: { cutAt: 20_000 } });
  const bytes = patternBytes(48 * 1024, 5);
  const image = memoryFirmwareImage(bytes, '2.0.0');
  const crashed = nextEvent((l) => sim.events.on('crashed', l));
  const first = b.link.deliverFirmware(A, image);
  first.catch(() => undefined);
  await crashed;
  // Back within milliseconds: long before the keepalive timeout could notice.
  const reattached = nextEvent<SubdeviceAttachment>((l) => b.link.on('attached', l));
  sim.start();
  const error = await t.throwsAsync(first, { instanceOf: LinkError });
  t.is(error?.code, 'link.disconnected');
  await reattached;
  const progress: DeliveryProgress[] = [];
  const result = await b.link.deliverFirmware(A, image, { onProgress: (p) => progress.push(p) });
  t.deepEqual(result, { ok: true, version: '2.0.0' });
  t.true(sim.offersFrom[1]! >= 20_000, `resumed at ${sim.offersFrom[1]}`);
  t.is(progress[0]?.bytes, sim.offersFrom[1]);
  t.deepEqual(sim.lastImage, bytes);
});

test('a cancelled delivery tells the subdevice (FW_CANCEL); it keeps its bytes and the same image resumes later', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }] });
  t.teardown(() => b.dispose());
  const seen = spy(b);
  const sim = await attachedSim(b, { subdevice: A });
  const bytes = patternBytes(64 * 1024, 9);
  const image = memoryFirmwareImage(bytes, '3.0.0');
  const controller = new AbortController();
  const cancelled = nextEvent<{ version: string }>((l) => sim.events.on('cancelled', l));
  const first = b.link.deliverFirmware(A, image, {
    signal: controller.signal,
    onProgress: (p) => {
      if (p.bytes >= 16 * 1024) controller.abort();
    },
  });
  await t.throwsAsync(first, { instanceOf: CancelledError });
  t.deepEqual(await cancelled, { version: '3.0.0' });
  await eventually(() => seen.fromSubdevice.includes('fw_result'), (x) => x, { what: "the subdevice's answer to FW_CANCEL" });
  t.true(seen.fromGateway.includes('fw_cancel'));
  const result = await b.link.deliverFirmware(A, image);
  t.deepEqual(result, { ok: true, version: '3.0.0' });
  t.true(sim.offersFrom[1]! >= 16 * 1024, `resumed at ${sim.offersFrom[1]}`);
});

test('a subdevice that reboots into the new version before its FW_RESULT arrives: the delivery succeeds on the HELLO', async (t) => {
  const b = memoryBus({ subdevices: [{ subdevice: A }] });
  t.teardown(() => b.dispose());
  const sim = await attachedSim(b, { subdevice: A, applyMs: 200 });
  const image = memoryFirmwareImage(patternBytes(4096, 2), '4.0.0');
  let applied = 0;
  sim.events.on('applied', () => applied++);
  const delivery = b.link.deliverFirmware(A, image, {
    onProgress: (p) => {
      // As soon as it applies, the device resets into the new image without a word (its FW_RESULT is lost).
      if (p.phase === 'applying') sim.restart('4.0.0');
    },
  });
  t.deepEqual(await delivery, { ok: true, version: '4.0.0' });
  await new Promise((r) => setTimeout(r, 300));
  t.is(applied, 0, 'no FW_RESULT was ever sent: the old boot died applying');
});

test('a listener that calls acknowledgeWhen holds the DATA_ACK until its promise resolves; without one the ack goes at once', async (t) => {
  // Keepalives far apart: a loaded machine must not end the session while the test holds the ack.
  const b = memoryBus({ subdevices: [{ subdevice: A }], keepaliveIntervalMs: 2_000, keepaliveTimeoutMs: 10_000 });
  t.teardown(() => b.dispose());
  const seen = spy(b);
  const sim = await attachedSim(b, { subdevice: A });
  let makeDurable!: () => void;
  const subscription = b.link.on('data', ({ acknowledgeWhen }) => {
    t.truthy(acknowledgeWhen, 'a reliable link offers acknowledgeWhen');
    acknowledgeWhen?.(new Promise<void>((resolve) => (makeDurable = resolve)));
  });
  let acked = false;
  const sent = sim.sendData(Uint8Array.of(7)).then(() => (acked = true));
  await eventually(() => makeDurable, (f) => f !== undefined, { what: 'the reading at the listener' });
  // The subdevice resends (no ack after its ack timeout), and still gets no ack.
  await eventually(() => seen.fromSubdevice.filter((m) => m === 'data').length, (n) => n >= 2, { what: 'a retransmission' });
  t.false(acked, 'acknowledged before the reading was durable');
  t.is(seen.fromGateway.filter((m) => m === 'data_ack').length, 0);
  makeDurable();
  await sent;
  t.is(seen.fromGateway.filter((m) => m === 'data_ack').length, 1);
  subscription.close();
  await sim.sendData(Uint8Array.of(8)); // nobody holds it: acknowledged at once, as before
  t.is(seen.fromGateway.filter((m) => m === 'data_ack').length, 2);
});
