import 'reflect-metadata';
import test from 'ava';
import { harness, SUB_A, until } from './support/harness.js';

// A third-party hub adapter implements the core HubTransport only: RRPC, shadows and the time
// service are optional capabilities, and the gateway runs without them instead of failing on them.
test('a hub without RRPC, shadows or a time service: the gateway runs, data flows, nothing calls the missing methods', async (t) => {
  const h = await harness({ coreHubOnly: true });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'online');
  h.link.subdevice(SUB_A)!.requestHandler = (p) => p;
  // The hub (here the same fake behind the reduced view) still emits what it has; nobody serves it.
  h.hub.pushRrpcRequest(SUB_A, '1', 'ping', h.clock.now());
  h.hub.setDesired(SUB_A, { led: 1 });
  h.link.emitData(SUB_A, 'r1');
  await until(() => h.hub.published.length === 1, 'the reading published');
  await h.idle();
  t.is(h.gateway.service.rrpc.stats.received, 0, 'RRPC is not served');
  t.deepEqual(h.hub.rrpcReplies, []);
  t.deepEqual(h.link.subdevice(SUB_A)!.shadowDeltas, [], 'no shadow delta from a hub without shadows');
  t.is(h.gateway.service.hubClock.offsetMs, undefined, 'no time service: the gateway clock, unsynced');
  t.false(h.gateway.service.hubClock.now().synced);
  t.deepEqual([...h.logger.at('warn'), ...h.logger.at('error')].map((l) => l.message), []);
  await h.gateway.dispose();
});
