import test from 'ava';
import { dataWindowOf, ReliableSender, retransmitAfterMs } from '../src/session/reliable-sender.js';
import { makeRig, runUntil } from './harness.js';

/** A sender on a hand-driven clock that records when each frame (by its first byte) went out. */
function rigSender(window?: number) {
  const sent: Array<{ at: number; seq: number }> = [];
  let now = 0;
  const sender = new ReliableSender(300, 5, (wire) => sent.push({ at: now, seq: wire[0]! }), window);
  const advanceTo = (until: number): void => {
    for (; now <= until; now += 5) sender.tick(now);
    now = until;
  };
  return { sent, sender, advanceTo, now: () => now };
}

test('an unacknowledged DATA frame is resent after 300, 600, 1200 and 2400 ms, then given up 2400 ms later (the wait doubles, capped at 8x)', async (t) => {
  const { sent, sender, advanceTo } = rigSender();
  let failure: string | undefined;
  sender.send(7, Uint8Array.of(7), 0).catch((e: Error) => (failure = e.message));
  advanceTo(6_895);
  t.deepEqual(sent.map((s) => s.at), [0, 300, 900, 2100, 4500]);
  await Promise.resolve();
  t.is(failure, undefined, 'still waiting for the last copy');
  advanceTo(6_900);
  await Promise.resolve();
  t.is(failure, 'no acknowledgement after 5 attempts');
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retransmitAfterMs(300, n)), [300, 600, 1200, 2400, 2400, 2400]);
});

test('at most 32 DATA frames are unacknowledged at once: the rest wait in order and go out as acks free slots', (t) => {
  const { sent, sender } = rigSender();
  for (let seq = 1; seq <= 40; seq++) sender.send(seq, Uint8Array.of(seq), 0).catch(t.fail);
  t.deepEqual(sent.map((s) => s.seq), Array.from({ length: 32 }, (_, i) => i + 1));
  t.is(sender.inFlight, 32);
  t.is(sender.waiting, 8);
  sender.ack(2, 10);
  sender.ack(1, 10);
  t.deepEqual(sent.slice(32).map((s) => s.seq), [33, 34], 'the oldest waiting go first');
  t.is(sender.waiting, 6);
});

test('a frame given up frees its slot for a waiting one; failAll ends the waiting ones too', async (t) => {
  const { sent, sender, advanceTo } = rigSender(1);
  const outcomes: string[] = [];
  sender.send(1, Uint8Array.of(1), 0).then(() => outcomes.push('1 ok'), () => outcomes.push('1 failed'));
  sender.send(2, Uint8Array.of(2), 0).then(() => outcomes.push('2 ok'), () => outcomes.push('2 failed'));
  sender.send(3, Uint8Array.of(3), 0).then(() => outcomes.push('3 ok'), (e: Error) => outcomes.push(`3 ${e.message}`));
  advanceTo(6_900);
  t.deepEqual(sent.filter((s) => s.seq !== 1).map((s) => [s.seq, s.at]), [[2, 6_900]], 'stop-and-wait: 2 goes when 1 is given up');
  sender.ack(2, 6_900);
  t.deepEqual(sent.at(-1), { at: 6_900, seq: 3 });
  const { LinkProtocolError } = await import('../src/session/link-protocol.error.js');
  sender.failAll(new LinkProtocolError('detached', 'gateway session lost'));
  await new Promise((r) => setImmediate(r));
  t.deepEqual(outcomes, ['1 failed', '2 ok', '3 gateway session lost']);
});

test('a subdevice whose acks come 1 s late sends each reading 3 times, not 4: late acks are not answered with a copy storm', async (t) => {
  const rig = makeRig({ hold: () => new Promise<void>((resolve) => rig.scheduler.setTimer(1_000, resolve)) });
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let acked = 0;
  for (let i = 0; i < 10; i++) rig.subdevices[0]!.sendData(Buffer.from(`r${i}`)).then(() => acked++, t.fail);
  t.true(await runUntil(rig.scheduler, () => acked === 10, 5_000));
  // Copies at 0, 300 and 900 ms; the ack leaves at 1000 ms. A fixed 300 ms would also send at 600.
  t.is(rig.log.filter((l) => l.from === 'S' && l.message.type === 'data').length, 30);
  t.is(rig.events.gwData.length, 10, 'each delivered once');
  rig.gateway.stop();
});

test('a subdevice engine with dataWindow 1 is stop-and-wait; a window outside 1..64 is refused with the reason', async (t) => {
  const rig = makeRig({ subdevice: { dataWindow: 1 }, hold: () => new Promise<void>((resolve) => rig.scheduler.setTimer(50, resolve)) });
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let acked = 0;
  for (let i = 0; i < 3; i++) rig.subdevices[0]!.sendData(Buffer.from(`r${i}`)).then(() => acked++, t.fail);
  await runUntil(rig.scheduler, () => false, 20);
  t.is(rig.log.filter((l) => l.from === 'S' && l.message.type === 'data').length, 1, 'one in flight');
  t.true(await runUntil(rig.scheduler, () => acked === 3, 1_000));
  t.deepEqual(rig.events.gwData, ['sub1:r0', 'sub1:r1', 'sub1:r2']);
  rig.gateway.stop();
  t.is(dataWindowOf(undefined), 32);
  t.throws(() => dataWindowOf(65), { instanceOf: RangeError, message: /dataWindow must be an integer from 1 to 64 \(the receiver remembers 64 seqs\), got 65/ });
  t.throws(() => dataWindowOf(0), { instanceOf: RangeError });
});
