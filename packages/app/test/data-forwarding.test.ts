import 'reflect-metadata';
import test from 'ava';
import { HubProtocolError, LinkError, subdeviceKey } from '@iotgw/domain';
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
  h.link.send = () => Promise.reject(new LinkError('link.disconnected', 'the subdevice stopped acknowledging'));
  h.hub.pushDownlink(SUB_A, 'control', 'x');
  await h.idle();
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('forwarding downlink') && l.message.includes('stopped acknowledging')));
  t.is(h.gateway.service.forwarding.downlinkDropped.send_failed, 1);
  await h.gateway.dispose();
});

test('a downlink larger than the link carries is dropped at once (counted as too_large), taking no place in the queue', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  h.hub.pushDownlink(SUB_A, 'control', new Uint8Array(4096));
  await h.idle();
  t.is(h.link.sent.length, 0);
  t.is(h.gateway.service.forwarding.downlinkDropped.too_large, 1);
  t.truthy(h.logger.at('warn').find((l) => l.message.includes("larger than link link0's maxPayloadSize 1024")));
  await h.gateway.dispose();
});

test('faults no caller waits for (hub or link `error` events) are logged with their code', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.hub.pushError(new HubProtocolError('malformed message on $gateway/operation/result'));
  t.truthy(h.logger.at('warn').find((l) => l.message.includes('malformed message') && l.context['code'] === 'hub.protocol'));
  await h.gateway.dispose();
});

test('a reading is acknowledged to its subdevice only once the hub transport holds it durably', async (t) => {
  const h = await harness();
  await h.gateway.start();
  const sub = h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  h.hub.delayNext('publish', 150);
  h.link.emitData(SUB_A, 'r1');
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(sub.acknowledged, [], 'acknowledged while the publish had not resolved');
  await until(() => sub.acknowledged.length === 1, 'acknowledged once published');
  t.is(h.hub.published.length, 1);
  await h.gateway.dispose();
});

test('a reading the hub transport could not hold is not acknowledged (the subdevice keeps it); the warning is throttled', async (t) => {
  const h = await harness({ hubOutboxLimit: 1 });
  await h.gateway.start();
  const sub = h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  h.hub.disconnect();
  for (const r of ['held', 'refused-1', 'refused-2', 'refused-3']) h.link.emitData(SUB_A, r);
  await until(() => sub.acknowledged.length + sub.notAcknowledged.length === 4, 'every reading settled');
  t.deepEqual(sub.acknowledged.map(text), ['held']);
  t.deepEqual(sub.notAcknowledged.map(text), ['refused-1', 'refused-2', 'refused-3']);
  t.is(h.logger.at('warn').filter((l) => l.message.includes('forwarding data of PRODUCTAAA/sensor-a')).length, 1, 'one line, not one per reading');
  await h.gateway.dispose();
});

test('a hub flooding one subdevice with downlink: the queue is bounded (oldest dropped, counted, one warning), sent one at a time, in order', async (t) => {
  const h = await harness({ downlinkQueueLength: 16 });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  await h.idle();
  const send = h.link.send.bind(h.link);
  let inFlight = 0;
  let most = 0;
  h.link.send = async (...args: Parameters<typeof send>) => {
    most = Math.max(most, ++inFlight);
    try {
      return await send(...args);
    } finally {
      inFlight--;
    }
  };
  for (let i = 0; i < 100; i++) h.hub.pushDownlink(SUB_A, 'data', String(i));
  await h.idle();
  const sent = h.link.sent.map((s) => Number(text(s.payload)));
  // The first went to the link at once; of the 99 after it, the newest 16 waited.
  t.deepEqual(sent, [0, ...Array.from({ length: 16 }, (_, i) => 84 + i)]);
  t.is(most, 1, 'one downlink message in flight per subdevice');
  t.is(h.gateway.service.forwarding.downlinkDropped.queue_full, 83);
  const warnings = h.logger.at('warn').filter((l) => l.message.includes('downlink to PRODUCTAAA/sensor-a dropped'));
  t.is(warnings.length, 1);
  t.regex(warnings[0]!.message, /downlink\.queueLength/);
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
