import test from 'ava';
import { AckRoundTrip } from '../src/ack-round-trip.js';

test('no grace before a round trip is measured, nor when turned off', (t) => {
  t.is(new AckRoundTrip().graceMs(), 0);
  const off = new AckRoundTrip(0);
  off.sample(0.2);
  t.is(off.graceMs(), 0);
});

test('a near hub: the grace covers its round trip and variation, in whole ms, one more for the clock', (t) => {
  const rtt = new AckRoundTrip(10);
  for (let i = 0; i < 50; i++) rtt.sample(0.3);
  t.is(rtt.graceMs(), 2);
  for (let i = 0; i < 50; i++) rtt.sample(i % 2 === 0 ? 1 : 3);
  const grace = rtt.graceMs();
  t.true(grace > 3 && grace <= 11, `grace ${grace}`);
});

test('a stall widens the grace up to the bound instead of giving it up', (t) => {
  const rtt = new AckRoundTrip(10);
  for (let i = 0; i < 50; i++) rtt.sample(0.3);
  rtt.sample(40);
  t.is(rtt.graceMs(), 11);
});

test('a far hub (smoothed round trip past the bound): fsync at once', (t) => {
  const rtt = new AckRoundTrip(10);
  for (let i = 0; i < 50; i++) rtt.sample(30);
  t.is(rtt.graceMs(), 0);
});
