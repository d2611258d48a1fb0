import 'reflect-metadata';
import test from 'ava';
import { HubProtocolError, subdeviceKey } from '@iotgw/domain';
import { harness, SUB_A, SUB_B, until } from './support/harness.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

test("a subdevice's uplink data is published on its data channel", async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.link.emitData(SUB_A, '{"temp":21.5}');
  await until(() => h.hub.published.length === 1, 'published');
  const [p] = h.hub.published;
  t.is(subdeviceKey(p!.subdevice), 'PRODUCTAAA/sensor-a');
  t.is(p!.channel, 'data');
  t.is(text(p!.payload), '{"temp":21.5}');
  await h.gateway.dispose();
});

test('downlink data goes over the link the subdevice is attached to', async (t) => {
  const h = await harness({ linkCount: 2 });
  await h.gateway.start();
  h.links[1]!.attach(SUB_B, '1.0.0');
  await h.idle();
  h.hub.pushDownlink(SUB_B, 'control', '{"on":true}');
  await until(() => h.links[1]!.sent.length === 1, 'sent');
  t.is(text(h.links[1]!.sent[0]!.payload), '{"on":true}');
  t.is(h.links[0]!.sent.length, 0);
  await h.gateway.dispose();
});

test('downlink for a subdevice that is not attached is dropped with a warning', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.hub.pushDownlink(SUB_A, 'control', 'x');
  await h.idle();
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('not attached') && l.context['subdevice'] === 'PRODUCTAAA/sensor-a'));
  await h.gateway.dispose();
});

test('uplink while the hub is away is queued (QoS 1) and published after reconnect', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  h.hub.disconnect();
  h.link.emitData(SUB_A, 'queued');
  await h.idle();
  t.is(h.hub.queued, 1);
  h.hub.reconnect();
  t.deepEqual(h.hub.published, [], 'held until the subdevice is online again (the hub forgot it)');
  await h.idle(); // the presence use case brings it online again on 'reconnected'
  await until(() => h.hub.published.length === 1, 'published after the re-online');
  t.is(text(h.hub.published[0]!.payload), 'queued');
  t.deepEqual(h.hub.operations.map((o) => o.op), ['online', 'online']);
  await h.gateway.dispose();
});

test('a link send failure is logged, not thrown', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  h.hub.pushDownlink(SUB_A, 'control', new Uint8Array(4096));
  await h.idle();
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('forwarding downlink')));
  await h.gateway.dispose();
});

test('faults no caller waits for (hub or link `error` events) are logged with their code', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.hub.pushError(new HubProtocolError('malformed message on $gateway/operation/result'));
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('malformed message') && l.context['code'] === 'hub.protocol'));
  await h.gateway.dispose();
});

test('a broadcast to the product reaches the attached subdevice over its link, as data', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await until(() => h.hub.isOnline(SUB_A), 'online');
  h.hub.pushBroadcast(SUB_A, '{"notice":"maintenance"}');
  await until(() => h.link.sent.length === 1, 'sent');
  t.is(text(h.link.sent[0]!.payload), '{"notice":"maintenance"}');
  await h.gateway.dispose();
});
