import test from 'ava';
import { RecordQueue } from '../src/record-queue.js';

test('the index costs at most 22 bytes a held reading: 10,000 readings of one subdevice', (t) => {
  const queue = new RecordQueue();
  for (let seq = 1; seq <= 10_000; seq++) queue.push(seq * 100, 1_700_000_000_000, 0, 0, 120);
  // 20 bytes an entry, and the last chunk's empty tail at most 1023 entries (was 24 bytes and
  // chunks of up to 4096: 29.5 bytes a reading here).
  t.true(queue.bytes / queue.length <= 22, `${(queue.bytes / queue.length).toFixed(1)} bytes a reading`);
  t.is(queue.headSeq(), 100);
  t.is(queue.find(555_500)?.seq, 555_500);
  t.is(queue.at(9_999)?.seq, 1_000_000);
});

test('sequence numbers far apart (beyond a Uint32 offset) stay exact: the later one starts a new chunk', (t) => {
  const queue = new RecordQueue();
  const seqs = [7, 2 ** 32 + 6, 2 ** 32 + 7, 2 ** 40, 2 ** 52 + 1];
  for (const seq of seqs) queue.push(seq, 1_700_000_000_000, 3, 64, 50);
  t.deepEqual([0, 1, 2, 3, 4].map((i) => queue.at(i)?.seq), seqs);
  t.is(queue.find(2 ** 32 + 7)?.seq, 2 ** 32 + 7);
  t.true(queue.relocate(2 ** 40, 9, 4096));
  t.like(queue.find(2 ** 40), { segment: 9, offset: 4096, size: 50 });
  t.is(queue.find(2 ** 32 + 8), undefined);
  const out = { seq: 0, segment: 0 };
  const dropped: number[] = [];
  while (queue.dropHead(out)) dropped.push(out.seq);
  t.deepEqual(dropped, seqs);
  // Emptied, then used again from a much later sequence number.
  queue.push(2 ** 53 - 10, 1_700_000_000_000, 0, 0, 50);
  t.is(queue.headSeq(), 2 ** 53 - 10);
});
