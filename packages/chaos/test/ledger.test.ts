import test from 'ava';
import { account, flowWindow, total, type AckRecord, type Receipt } from '../src/rig/ledger.js';

const ack = (seq: number, ackAt = seq * 100, boot = 1): AckRecord => ({ boot, seq, ackAt, ts: ackAt - 5 });
const got = (seq: number, at: number, boot = 1, sub = 's1'): Receipt => ({ sub, boot, seq, ts: seq * 100 - 5, at });

test('every acknowledged reading received once, in order: nothing lost, duplicated or reordered', (t) => {
  const acks = [1, 2, 3].map((n) => ack(n));
  const a = account(acks, [got(1, 110), got(2, 210), got(3, 310)], 's1');
  t.like(a, { produced: 3, delivered: 3, lost: 0, duplicated: 0, reordered: 0, unacknowledgedDelivered: 0 });
  t.deepEqual(a.latencyMs, { p50: 15, p99: 15, max: 15 });
});

test('a reading acknowledged but never received is lost and named', (t) => {
  const a = account([ack(1), ack(2)], [got(1, 110)], 's1');
  t.like(a, { produced: 2, delivered: 1, lost: 1 });
  t.deepEqual(a.examples.lost, ['s1#1.2']);
});

test('a second receipt is a duplicate, not a reorder; an older reading after a newer one is a reorder', (t) => {
  const acks = [1, 2, 3, 4].map((n) => ack(n));
  const a = account(acks, [got(1, 110), got(3, 300), got(2, 310), got(1, 320), got(4, 400)], 's1');
  t.like(a, { delivered: 4, lost: 0, duplicated: 1, reordered: 1 });
  t.deepEqual(a.examples.reordered, ['s1#1.2 after #1.3']);
});

test('a later boot orders after every reading of an earlier boot', (t) => {
  const acks = [ack(7, 100, 1), ack(1, 200, 2)];
  t.is(account(acks, [got(7, 150, 1), got(1, 250, 2)], 's1').reordered, 0);
  t.is(account(acks, [got(1, 250, 2), got(7, 260, 1)], 's1').reordered, 1);
});

test('a reading at the hub that was never acknowledged is counted apart, not as produced', (t) => {
  const a = account([ack(1)], [got(1, 110), got(2, 210)], 's1');
  t.like(a, { produced: 1, delivered: 1, lost: 0, unacknowledgedDelivered: 1 });
});

test('time to recover: until the backlog from before the fault and a reading made after it have both arrived', (t) => {
  // Fault ends at 1000. Readings 1..9 acked before; they arrive at 1500. Reading 11, measured at 1095, arrives at 1200.
  const acks = [...Array.from({ length: 9 }, (_, i) => ack(i + 1)), ack(11)];
  const receipts = [...Array.from({ length: 9 }, (_, i) => got(i + 1, 1500)), got(11, 1200)];
  t.is(account(acks, receipts, 's1', 1000).recoverMs, 500);
  // Nothing measured after the fault ever arrived: not recovered.
  t.is(account(acks.slice(0, 9), receipts.slice(0, 9), 's1', 1000).recoverMs, undefined);
  // A lost reading of the backlog is counted as lost, not waited for.
  t.is(account([ack(20, 800), ...acks], receipts, 's1', 1000).recoverMs, 500);
  // Without a fault end there is nothing to recover from.
  t.is(account(acks, receipts, 's1').recoverMs, undefined);
});

test('totals add counts and keep the worst latency, gap and recovery', (t) => {
  const a = account([ack(1)], [got(1, 200)], 's1', 0);
  const b = account([ack(1), ack(2)], [got(1, 100, 1, 's2')], 's2', 0);
  const sum = total([a, b]);
  t.like(sum, { produced: 3, delivered: 2, lost: 1 });
  t.is(sum.latencyMs.max, 105);
  t.is(sum.recoverMs, 200, 'the slower subdevice');
  t.is(total([a, account([ack(1)], [], 's3', 0)]).recoverMs, undefined, 'one subdevice never recovered');
});

test('a flow window gives the readings measured in it, the longest silence inside it and their latency', (t) => {
  const receipts = [got(1, 100), got(2, 200), got(3, 900), got(4, 1000)];
  const w = flowWindow(receipts, 's1', 50, 1100);
  t.is(w.readings, 4);
  t.is(w.longestGapMs, 700);
  t.is(flowWindow(receipts, 's1', 1000, 3000).longestGapMs, 2000, 'silence up to the end of the window counts');
});
