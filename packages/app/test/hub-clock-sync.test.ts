import 'reflect-metadata';
import test from 'ava';
import { harness, until } from './support/harness.js';

test('the gateway measures the hub clock offset when connected; before that it serves its own clock, unsynced', async (t) => {
  const h = await harness();
  h.hub.hubClockOffsetMs = 7_000;
  const sync = h.gateway.service.hubClock;
  t.false(sync.now().synced);
  await h.gateway.start();
  await until(() => sync.offsetMs !== undefined, 'measured');
  t.true(Math.abs(sync.offsetMs! - 7_000) <= 5, String(sync.offsetMs));
  const reading = sync.now();
  t.true(reading.synced);
  t.true(Math.abs(reading.unixMs - (h.clock.now() + 7_000)) <= 5);
  t.truthy(h.logger.at('info').find((l) => l.message === 'hub time measured'));
  await h.gateway.dispose();
});

test('a failed measurement is logged and the links keep serving the gateway clock, unsynced', async (t) => {
  const h = await harness();
  h.hub.dropNext('time');
  await h.gateway.start({ timeoutMs: 5000 });
  await until(() => h.logger.at('warn').some((l) => l.message.includes('measuring hub time')), 'warned', 15_000);
  t.false(h.gateway.service.hubClock.now().synced);
  await h.gateway.dispose();
});
