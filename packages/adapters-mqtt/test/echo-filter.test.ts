import test from 'ava';
import { EchoFilter } from '../src/echo-filter.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('each remembered publish absorbs exactly one identical incoming message', (t) => {
  const filter = new EchoFilter();
  filter.remember('P/d/data', bytes('a'));
  filter.remember('P/d/data', bytes('a'));
  t.false(filter.isEcho('P/d/data', bytes('b')), 'other bytes');
  t.false(filter.isEcho('P/e/data', bytes('a')), 'other topic');
  t.true(filter.isEcho('P/d/data', bytes('a')));
  t.true(filter.isEcho('P/d/data', bytes('a')));
  t.false(filter.isEcho('P/d/data', bytes('a')), 'a third copy is real downlink');
  t.is(filter.size, 0);
});

test('a publish older than the window no longer absorbs anything', (t) => {
  let now = 0;
  const filter = new EchoFilter(1000, 100, () => now);
  filter.remember('P/d/data', bytes('a'));
  now = 1001;
  t.false(filter.isEcho('P/d/data', bytes('a')));
});

test('memory is bounded: past capacity the oldest messages are forgotten', (t) => {
  const filter = new EchoFilter(30_000, 3);
  for (const s of ['1', '2', '3', '4']) filter.remember('P/d/data', bytes(s));
  t.is(filter.size, 3);
  t.false(filter.isEcho('P/d/data', bytes('1')));
  t.true(filter.isEcho('P/d/data', bytes('4')));
});

test('the same reading sent thousands of times is absorbed exactly as often (across the queue compaction)', (t) => {
  const filter = new EchoFilter();
  for (let i = 0; i < 3000; i++) filter.remember('P/d/data', bytes('same'));
  let absorbed = 0;
  for (let i = 0; i < 2000; i++) if (filter.isEcho('P/d/data', bytes('same'))) absorbed++;
  for (let i = 0; i < 500; i++) filter.remember('P/d/data', bytes('same'));
  for (let i = 0; i < 1600; i++) if (filter.isEcho('P/d/data', bytes('same'))) absorbed++;
  t.is(absorbed, 3500);
  t.is(filter.size, 0);
});

test('an echo the broker dropped is forgotten once a later one on the topic arrives (order holds per topic and QoS)', (t) => {
  const filter = new EchoFilter();
  for (let i = 0; i < 1000; i++) filter.remember('P/d/data', bytes(`r${i}`), 1);
  // The broker's queue overflowed: r0..r899 never come back; r900 does.
  t.true(filter.isEcho('P/d/data', bytes('r900'), 1));
  t.is(filter.size, 99, 'the lost ones are gone, not scanned for every later echo');
  t.true(filter.isEcho('P/d/data', bytes('r901'), 1));
});

test('QoS 0 and QoS 1 uplink on one topic are matched apart (their echoes may overtake each other)', (t) => {
  const filter = new EchoFilter();
  filter.remember('P/d/data', bytes('one'), 1);
  filter.remember('P/d/data', bytes('zero'), 0);
  t.true(filter.isEcho('P/d/data', bytes('zero'), 0));
  t.true(filter.isEcho('P/d/data', bytes('one'), 1), 'the QoS 1 echo is still expected');
  t.is(filter.size, 0);
});

test('a burst of 20,000 readings in flight at once: every echo is still absorbed (none reaches the subdevice as downlink), and a real downlink is not', (t) => {
  const filter = new EchoFilter();
  for (let i = 0; i < 20_000; i++) filter.remember('P/d/data', bytes(`{"n":${i}}`), 0);
  t.false(filter.isEcho('P/d/data', bytes('{"cmd":"on"}'), 0), 'real downlink');
  let absorbed = 0;
  for (let i = 0; i < 20_000; i++) if (filter.isEcho('P/d/data', bytes(`{"n":${i}}`), 0)) absorbed++;
  t.is(absorbed, 20_000);
  t.is(filter.size, 0);
});

test('memory is bounded by bytes too: past maxBytes the oldest payloads are forgotten', (t) => {
  const filter = new EchoFilter(30_000, 100_000, Date.now, 1000);
  for (let i = 0; i < 20; i++) filter.remember('P/d/data', new Uint8Array(100).fill(i));
  t.is(filter.size, 10);
  t.false(filter.isEcho('P/d/data', new Uint8Array(100).fill(0)));
  t.true(filter.isEcho('P/d/data', new Uint8Array(100).fill(19)));
});
