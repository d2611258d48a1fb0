import test from 'ava';
import { connectDevice, connectGateway, GW2, startHub, sub, SUB1, SUB2, subscribeCodes } from './helpers.js';

test('a gateway may subscribe to its own topics and a bound online subdevice data topic', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const granted = await gw.client.subscribeAsync(['GW00000001/gw1/data', 'SB00000001/test1/data', '$ota/update/SB00000001/test1'], { qos: 1 });
    t.deepEqual(granted.map((g) => g.qos), [1, 1, 1]);
    t.is(fx.hub.stats.aclDenials, 0);
  } finally {
    await fx.cleanup();
  }
});

test('subscribe denials: unbound subdevice, bound but offline data, another gateway, wildcards', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    const granted = await subscribeCodes(gw.client, ['SB00000001/test2/data', 'SB00000001/test1/data', '$gateway/operation/result/GW00000002/gw2', 'SB00000001/+/data', '#']);
    t.deepEqual(granted, [128, 128, 128, 128, 128]);
    t.is(fx.hub.stats.aclDenials, 5);
    t.deepEqual(fx.hub.denials.map((d) => d.action), ['subscribe', 'subscribe', 'subscribe', 'subscribe', 'subscribe']);
    t.regex(fx.hub.denials[0]!.reason, /not bound/);
    t.regex(fx.hub.denials[1]!.reason, /not online/);
  } finally {
    await fx.cleanup();
  }
});

test('a publish to a foreign topic is denied, logged, counted and closes the connection', async (t) => {
  const fx = await startHub();
  try {
    const other = await connectDevice(fx, GW2);
    const closed = new Promise<void>((resolve) => other.once('close', () => resolve()));
    other.publish('SB00000001/test1/data', '{"x":1}', { qos: 0 });
    await closed;
    t.is(fx.hub.stats.aclDenials, 1);
    t.like(fx.hub.denials[0], { device: 'GW00000002/gw2', action: 'publish', topic: 'SB00000001/test1/data' });
  } finally {
    await fx.cleanup();
  }
});

test('a subdevice connecting directly may use only its own topics', async (t) => {
  const fx = await startHub();
  try {
    const device = await connectDevice(fx, SUB2);
    const granted = await subscribeCodes(device, ['SB00000001/test2/control', 'SB00000001/test1/data', '$gateway/operation/result/SB00000001/test2']);
    // Own data: yes. Someone else's: no. Gateway operation topics: only for gateway devices.
    t.deepEqual(granted, [0, 128, 128]);
    t.regex(fx.hub.denials[1]!.reason, /not a gateway device/);
  } finally {
    await fx.cleanup();
  }
});

test('data published by the gateway for an online bound subdevice reaches the hub and the console log', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const seen = new Promise<string>((resolve) => fx.hub.core.on('message', (m) => m.topic === 'SB00000001/test1/data' && resolve(m.payload)));
    await gw.client.publishAsync('SB00000001/test1/data', '{"temp":21}', { qos: 1 });
    t.is(await seen, '{"temp":21}');
    // Downlink from the console side reaches the gateway's subscription.
    await gw.client.subscribeAsync('SB00000001/test1/data', { qos: 1 });
    const down = new Promise<string>((resolve) => gw.client.on('message', (topic, p) => topic === 'SB00000001/test1/data' && resolve(p.toString())));
    await fx.hub.core.sendData('SB00000001/test1', '{"led":"on"}');
    t.is(await down, '{"led":"on"}');
    void SUB2;
  } finally {
    await fx.cleanup();
  }
});

test('after a subdevice goes offline its data is no longer delivered on an old subscription', async (t) => {
  const fx = await startHub();
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    await gw.client.subscribeAsync(['SB00000001/test1/data', 'GW00000001/gw1/data'], { qos: 1 });
    const got: string[] = [];
    const marker = new Promise<void>((resolve) =>
      gw.client.on('message', (topic, p) => {
        if (topic.endsWith('/data')) got.push(`${topic} ${p.toString()}`);
        if (topic === 'GW00000001/gw1/data') resolve();
      }),
    );
    await gw.request({ type: 'offline', devices: [sub(SUB1)] });
    await fx.hub.core.sendData('SB00000001/test1', '{"dropped":true}');
    await fx.hub.core.sendData('GW00000001/gw1', '{"marker":true}');
    await marker;
    t.deepEqual(got, ['GW00000001/gw1/data {"marker":true}']);
  } finally {
    await fx.cleanup();
  }
});

test('data topics follow the product\'s topic list: data, event, control and its custom topics; others are refused (subscribe) or disconnect (publish)', async (t) => {
  const fx = await startHub();
  try {
    await fx.hub.registry.setProductTopics('SB00000001', ['user/alarm', 'user/cmd']);
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const granted = await subscribeCodes(gw.client, ['SB00000001/test1/control', 'SB00000001/test1/user/cmd', 'SB00000001/test1/user/other']);
    t.deepEqual(granted, [0, 0, 128]);
    t.regex(fx.hub.denials[0]!.reason, /not in product SB00000001's topic list \(data, event, control, user\/alarm, user\/cmd\): add it as a custom topic/);
    await gw.client.publishAsync('SB00000001/test1/user/alarm', '{"a":1}', { qos: 1 });
    const closed = new Promise<void>((resolve) => gw.client.once('close', () => resolve()));
    gw.client.publish('SB00000001/test1/user/other', '{"x":1}', { qos: 0 });
    await closed;
    t.like(fx.hub.denials.at(-1), { action: 'publish', topic: 'SB00000001/test1/user/other' });
    t.deepEqual(fx.hub.registry.toJSON().productTopics, { SB00000001: ['user/alarm', 'user/cmd'] });
    await t.throwsAsync(fx.hub.registry.setProductTopics('SB00000001', ['user/#']), { message: /not valid: give the levels after/ });
  } finally {
    await fx.cleanup();
  }
});
