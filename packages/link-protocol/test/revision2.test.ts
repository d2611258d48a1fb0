import test from 'ava';
import { CancelReason, FirmwareResultCode, LinkProtocolError, RefusalReason, encodePacket, type FirmwareOutcome, type MessageName } from '../src/index.js';
import { makeImage, makeRig, runUntil, sourceOf, type Rig } from './harness.js';

const sent = (rig: Rig, from: 'G' | 'S', type: MessageName) => rig.log.filter((e) => e.from === from && e.message.type === type);

async function connected(rig: Rig): Promise<void> {
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
  await runUntil(rig.scheduler, () => rig.subdevices.every((s) => s.state === 'connected'));
}

test('revision negotiation: a revision-2 pair agrees 2; HELLO_ACK echoes the HELLO seq', async (t) => {
  const rig = makeRig();
  await connected(rig);
  t.is(rig.gateway.peer(1)?.revision, 2);
  t.is(rig.subdevices[0]!.agreedRevision, 2);
  const hello = sent(rig, 'S', 'hello').at(-1)!;
  const ack = sent(rig, 'G', 'hello_ack')[0]!;
  t.is(ack.seq, hello.seq);
  t.like(ack.message, { revision: 2, features: 0 });
  rig.gateway.stop();
});

test('an old gateway (revision 1) and a revision-2 subdevice: revision 1 is agreed, data and an update work, the verdict settles by its hold', async (t) => {
  const rig = makeRig({ gateway: { revision: 1 } });
  await connected(rig);
  t.is(rig.subdevices[0]!.agreedRevision, 1);
  t.like(sent(rig, 'G', 'hello_ack')[0]!.message, { revision: 1 });
  let outcome: FirmwareOutcome | undefined;
  void rig.gateway.deliverFirmware(1, sourceOf(makeImage(3000))).then((o) => (outcome = o));
  t.true(await runUntil(rig.scheduler, () => outcome !== undefined));
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  t.is(sent(rig, 'G', 'fw_result_ack').length, 0, 'a revision-1 gateway never acknowledges the verdict');
  rig.gateway.stop();
});

test('the gateway acknowledges FW_RESULT (echo) for a revision-2 subdevice', async (t) => {
  const rig = makeRig();
  await connected(rig);
  let outcome: FirmwareOutcome | undefined;
  void rig.gateway.deliverFirmware(1, sourceOf(makeImage(3000))).then((o) => (outcome = o));
  await runUntil(rig.scheduler, () => outcome !== undefined);
  await runUntil(rig.scheduler, () => false, 100);
  const result = sent(rig, 'S', 'fw_result')[0]!;
  const acks = sent(rig, 'G', 'fw_result_ack');
  t.is(acks.length, 1);
  t.is(acks[0]!.seq, result.seq);
  rig.gateway.stop();
});

test('cancel: the delivery rejects at once and FW_CANCEL is sent until the subdevice answers (-102)', async (t) => {
  const rig = makeRig();
  await connected(rig);
  let first: unknown;
  rig.gateway.deliverFirmware(1, sourceOf(makeImage(40_000))).then((o) => (first = o), (e: unknown) => (first = e));
  await runUntil(rig.scheduler, () => rig.image.received > 8_000);
  rig.gateway.cancelFirmware(1, 'superseded', CancelReason.SUPERSEDED);
  await runUntil(rig.scheduler, () => first !== undefined, 1);
  t.true(first instanceof LinkProtocolError && first.reason === 'stopped');
  await runUntil(rig.scheduler, () => sent(rig, 'S', 'fw_result').length > 0);
  t.like(sent(rig, 'G', 'fw_cancel')[0]!.message, { reason: CancelReason.SUPERSEDED });
  t.like(sent(rig, 'S', 'fw_result')[0]!.message, { ok: false, code: FirmwareResultCode.CANCELLED });
  const chunksBefore = sent(rig, 'G', 'fw_chunk').length;
  await runUntil(rig.scheduler, () => false, 5_000);
  t.is(sent(rig, 'G', 'fw_cancel').length, 1, 'answered at once: not repeated');
  t.is(sent(rig, 'G', 'fw_chunk').length, chunksBefore, 'no chunk after the cancel');
  rig.gateway.stop();
});

test('cancel to a silent subdevice is repeated 3 times, then given up', async (t) => {
  const rig = makeRig();
  await connected(rig);
  rig.gateway.deliverFirmware(1, sourceOf(makeImage(40_000))).catch(() => undefined);
  await runUntil(rig.scheduler, () => rig.image.received > 4_000);
  rig.wire.cut = true;
  rig.gateway.cancelFirmware(1);
  await runUntil(rig.scheduler, () => false, 3_400);
  t.is(sent(rig, 'G', 'fw_cancel').length, 3);
  rig.gateway.stop();
});

test('cancel to a revision-1 subdevice stops the delivery without FW_CANCEL (it would not know it)', async (t) => {
  const rig = makeRig({ subdevice: { revision: 1 } });
  await connected(rig);
  rig.gateway.deliverFirmware(1, sourceOf(makeImage(40_000))).catch(() => undefined);
  await runUntil(rig.scheduler, () => rig.image.received > 4_000);
  rig.gateway.cancelFirmware(1);
  await runUntil(rig.scheduler, () => false, 3_000);
  t.is(sent(rig, 'G', 'fw_cancel').length, 0);
  rig.gateway.stop();
});

test('a subdevice that answers FW_COMMIT with "no transfer" (-101) is offered the image again, and the delivery completes', async (t) => {
  const rig = makeRig();
  await connected(rig);
  const image = makeImage(5_000, 4);
  let outcome: FirmwareOutcome | undefined;
  void rig.gateway.deliverFirmware(1, sourceOf(image)).then((o) => (outcome = o));
  await runUntil(rig.scheduler, () => sent(rig, 'G', 'fw_commit').length > 0);
  // The subdevice's session changes under the transfer and its HELLO never reaches the gateway
  // (a stand-in for any lost state): its offer is void in the new session.
  const sub = rig.subdevices[0]!;
  rig.wire.cut = true;
  sub.feed(encodePacket({ address: 1, direction: 'to_subdevice', seq: 1, message: { type: 'bye', reason: 2 } }));
  sub.feed(encodePacket({ address: 1, direction: 'to_subdevice', seq: 2, message: { type: 'hello_ack', keepaliveIntervalMs: 1000, maxFrameSize: 1100, revision: 2, features: 0 } }));
  rig.wire.cut = false;
  await runUntil(rig.scheduler, () => outcome !== undefined);
  t.deepEqual(outcome, { ok: true, version: '2.0.0' });
  t.true(sent(rig, 'S', 'fw_result').some((e) => e.message.type === 'fw_result' && !e.message.ok && e.message.code === FirmwareResultCode.NO_TRANSFER));
  t.true(sent(rig, 'G', 'fw_offer').length >= 2, 'offered again');
  rig.gateway.stop();
});

test('admission: a refused HELLO gets HELLO_REFUSED (echo); the subdevice stays silent for retryAfterMs and no session exists', async (t) => {
  const rig = makeRig();
  // A gateway that serves nobody.
  (rig.gateway as unknown as { hooks: { admit: unknown } }).hooks.admit = () => ({ reason: RefusalReason.NOT_DECLARED, message: 'not here', retryAfterMs: 2_000 });
  rig.gateway.start();
  const sub = rig.subdevices[0]!;
  sub.start();
  await runUntil(rig.scheduler, () => sub.state === 'refused');
  const hello = sent(rig, 'S', 'hello')[0]!;
  const refused = sent(rig, 'G', 'hello_refused')[0]!;
  t.is(refused.seq, hello.seq);
  t.like(refused.message, { reason: RefusalReason.NOT_DECLARED, retryAfterMs: 2_000, message: 'not here' });
  t.deepEqual(rig.gateway.peers(), []);
  const before = sent(rig, 'S', 'hello').length;
  await runUntil(rig.scheduler, () => false, 1_900);
  t.is(sent(rig, 'S', 'hello').length, before, 'silent while refused');
  await runUntil(rig.scheduler, () => sent(rig, 'S', 'hello').length > before, 500);
  t.true(await runUntil(rig.scheduler, () => sub.state === 'refused', 100), 'refused again on the next HELLO');
  rig.gateway.stop();
});
