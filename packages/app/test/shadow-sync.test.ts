import 'reflect-metadata';
import test from 'ava';
import { MemoryStateStore } from '@iotgw/testkit';
import { harness, SUB_A, until } from './support/harness.js';

test('a subdevice reports shadow state over its link: it reaches the hub as reported', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'online');
  h.link.reportShadow(SUB_A, { temperature: 21 });
  await until(() => h.hub.shadows.document(SUB_A).reported['temperature'] === 21, 'reported at the hub');
  t.pass();
  await h.gateway.dispose();
});

test('desired set for an attached subdevice reaches it as a delta over its link, then desired is cleared at the hub', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'online');
  await h.idle();
  h.hub.setDesired(SUB_A, { led: 1 });
  await until(() => h.link.subdevice(SUB_A)!.shadowDeltas.length === 1, 'the delta delivered');
  t.deepEqual(h.link.subdevice(SUB_A)!.shadowDeltas[0]!.state, { led: 1 });
  await until(() => h.hub.shadows.document(SUB_A).desired === undefined, 'desired cleared');
  t.is(await h.gateway.service.shadow.pending(SUB_A), undefined, 'nothing kept');
  await h.gateway.dispose();
});

test('sleepy subdevice: a delta that arrives while it is detached is kept (StateStore), survives a gateway restart and is delivered when it attaches', async (t) => {
  const store = new MemoryStateStore();
  // at_start: the subdevice is online at the hub while asleep on its link, so the hub pushes the delta to the gateway.
  const h = await harness({ onlinePolicy: 'at_start', store });
  await h.gateway.start();
  await until(() => h.hub.isOnline(SUB_A), 'online at start');
  await h.idle();
  h.hub.setDesired(SUB_A, { mode: 'eco' });
  await until(() => (h.logger.at('info').some((l) => l.message.includes('shadow delta kept'))), 'kept');
  await h.idle();
  t.like(await h.gateway.service.shadow.pending(SUB_A), { state: { mode: 'eco' } });
  await h.gateway.dispose();

  // A new gateway process on the same disk; the hub still wants it (desired kept there too).
  const again = await harness({ onlinePolicy: 'at_start', store });
  await again.gateway.start();
  await again.idle();
  t.like(await again.gateway.service.shadow.pending(SUB_A), { state: { mode: 'eco' } });
  again.link.attach(SUB_A, '1.0.0');
  await until(() => again.link.subdevice(SUB_A)!.shadowDeltas.length === 1, 'delivered at attach');
  t.deepEqual(again.link.subdevice(SUB_A)!.shadowDeltas[0]!.state, { mode: 'eco' });
  await until(() => again.gateway.service.shadow.delivered === 1, 'counted');
  await again.idle();
  t.is(await again.gateway.service.shadow.pending(SUB_A), undefined);
  await again.gateway.dispose();
});

test('desired set while the subdevice was offline at the hub is read when it comes online and delivered', async (t) => {
  const h = await harness();
  h.hub.setDesired(SUB_A, { threshold: 30 });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.link.subdevice(SUB_A)!.shadowDeltas.length === 1, 'delivered after online');
  t.deepEqual(h.link.subdevice(SUB_A)!.shadowDeltas[0]!.state, { threshold: 30 });
  await until(() => h.hub.shadows.document(SUB_A).desired === undefined, 'desired cleared');
  await h.gateway.dispose();
});

test('a subdevice whose firmware takes no shadow deltas: the delta stays kept, with a warning', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.subdevice(SUB_A)!.acceptsShadow = false;
  await until(() => h.hub.isOnline(SUB_A), 'online');
  await h.idle();
  h.hub.setDesired(SUB_A, { led: 1 });
  await until(() => h.logger.at('warn').some((l) => l.message.includes('takes no shadow deltas')), 'warned');
  await h.idle();
  t.like(await h.gateway.service.shadow.pending(SUB_A), { state: { led: 1 } });
  t.like(h.hub.shadows.document(SUB_A).desired, { led: 1 }, 'the hub keeps desired too');
  await h.gateway.dispose();
});
