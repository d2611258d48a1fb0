import test from 'ava';
import { makeRig, runUntil } from './harness.js';

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function started(rig: ReturnType<typeof makeRig>): void {
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
}

const framesOf = (rig: ReturnType<typeof makeRig>, from: 'G' | 'S', type: string): number[] =>
  rig.log.filter((l) => l.from === from && l.message.type === type).map((l) => l.seq);

test('DATA_ACK waits for the application to say the reading is safe; copies meanwhile are neither delivered nor acknowledged', async (t) => {
  const safe = deferred();
  const rig = makeRig({ hold: () => safe.promise });
  started(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let acked = false;
  rig.subdevices[0]!.sendData(Buffer.from('r1')).then(() => (acked = true), t.fail);
  // Long enough for the subdevice to retransmit twice (after 300 ms, then 600 ms more).
  await runUntil(rig.scheduler, () => false, 1_000);
  t.false(acked, 'acknowledged before the application said the reading is safe');
  t.is(framesOf(rig, 'S', 'data').length, 3, 'the subdevice retransmitted while it waited');
  t.deepEqual(framesOf(rig, 'G', 'data_ack'), []);
  t.deepEqual(rig.events.gwData, ['sub1:r1'], 'delivered once');
  safe.resolve();
  t.true(await runUntil(rig.scheduler, () => acked, 1_000));
  t.is(framesOf(rig, 'G', 'data_ack').length, 1);
  rig.gateway.stop();
});

test('a reading the application could not keep is not acknowledged: the next retransmission is handed over again', async (t) => {
  const attempts = [deferred(), deferred()];
  let calls = 0;
  const rig = makeRig({ hold: () => attempts[calls++]!.promise });
  started(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let acked = false;
  rig.subdevices[0]!.sendData(Buffer.from('r1')).then(() => (acked = true), t.fail);
  await runUntil(rig.scheduler, () => rig.events.gwData.length === 1);
  attempts[0]!.reject(new Error('store full'));
  t.true(await runUntil(rig.scheduler, () => rig.events.gwData.length === 2, 1_000), 'the retransmission is delivered again');
  t.false(acked);
  attempts[1]!.resolve();
  t.true(await runUntil(rig.scheduler, () => acked, 1_000));
  t.is(framesOf(rig, 'G', 'data_ack').length, 1);
  rig.gateway.stop();
});

test('a durability delay well inside the ack timeout costs no retransmission (no storm)', async (t) => {
  const rig = makeRig({ hold: () => new Promise<void>((resolve) => rig.scheduler.setTimer(40, resolve)) });
  started(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  let acked = 0;
  for (let i = 0; i < 20; i++) rig.subdevices[0]!.sendData(Buffer.from(`r${i}`)).then(() => acked++, t.fail);
  t.true(await runUntil(rig.scheduler, () => acked === 20, 5_000));
  t.is(framesOf(rig, 'S', 'data').length, 20, 'each reading sent once');
  t.is(rig.events.gwData.length, 20);
  rig.gateway.stop();
});

test('an ack due after the session ended is not sent', async (t) => {
  const safe = deferred();
  const rig = makeRig({ hold: () => safe.promise });
  started(rig);
  await runUntil(rig.scheduler, () => rig.subdevices[0]!.state === 'connected');
  rig.subdevices[0]!.sendData(Buffer.from('r1')).catch(() => undefined);
  await runUntil(rig.scheduler, () => rig.events.gwData.length === 1);
  rig.gateway.detach(1, 'link_lost');
  safe.resolve();
  await runUntil(rig.scheduler, () => false, 100);
  t.deepEqual(framesOf(rig, 'G', 'data_ack'), []);
  rig.gateway.stop();
});
