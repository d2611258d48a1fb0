import test from 'ava';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { connectDevice, GW, startHub, SUB1 } from './helpers.js';

async function refusalCode(url: string, options: mqtt.IClientOptions): Promise<number | undefined> {
  const client = mqtt.connect(url, { ...options, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    return await new Promise<number | undefined>((resolve) => {
      client.once('connect', () => resolve(0));
      client.once('error', (error) => resolve((error as Error & { code?: number }).code));
    });
  } finally {
    await client.endAsync(true);
  }
}

test('a gateway with valid hmacsha1 key auth connects and is online', async (t) => {
  const fx = await startHub();
  try {
    await connectDevice(fx, GW);
    t.true(fx.hub.isOnline(GW.productId, GW.deviceName));
  } finally {
    await fx.cleanup();
  }
});

test('hmacsha256, another sdkappid and a millisecond expiry in the past are accepted', async (t) => {
  const fx = await startHub();
  try {
    await connectDevice(fx, SUB1, { signMethod: 'hmacsha256', sdkAppId: '12010126', expiry: 1_600_000_000_000 });
    t.true(fx.hub.isOnline(SUB1.productId, SUB1.deviceName));
  } finally {
    await fx.cleanup();
  }
});

test('a wrong password is refused with return code 4', async (t) => {
  const fx = await startHub();
  try {
    const creds = buildKeyAuth({ ...GW, deviceSecret: Buffer.from('wrong').toString('base64') });
    t.is(await refusalCode(fx.hub.urls.mqtt, { clientId: creds.clientId, username: creds.username, password: creds.password }), 4);
    t.is(fx.hub.stats.authFailures, 1);
    t.false(fx.hub.isOnline(GW.productId, GW.deviceName));
  } finally {
    await fx.cleanup();
  }
});

test('missing credentials and a malformed username are refused with 4', async (t) => {
  const fx = await startHub();
  try {
    t.is(await refusalCode(fx.hub.urls.mqtt, { clientId: 'GW00000001gw1' }), 4);
    const creds = buildKeyAuth(GW);
    t.is(await refusalCode(fx.hub.urls.mqtt, { clientId: creds.clientId, username: 'GW00000001gw1', password: creds.password }), 4);
    // Username for another client id than the one connecting.
    t.is(await refusalCode(fx.hub.urls.mqtt, { clientId: creds.clientId, username: buildKeyAuth(SUB1).username, password: creds.password }), 4);
  } finally {
    await fx.cleanup();
  }
});

test('an unknown device is refused with return code 5 (not authorized)', async (t) => {
  const fx = await startHub();
  try {
    const creds = buildKeyAuth({ productId: 'ZZ00000001', deviceName: 'nobody', deviceSecret: GW.deviceSecret });
    t.is(await refusalCode(fx.hub.urls.mqtt, { clientId: creds.clientId, username: creds.username, password: creds.password }), 5);
  } finally {
    await fx.cleanup();
  }
});

test('a gateway disconnect takes it and its subdevices offline', async (t) => {
  const fx = await startHub();
  try {
    const client = await connectDevice(fx, GW);
    fx.hub.registry.setOnline('SB00000001/test1', true);
    const offline = new Promise<void>((resolve) => fx.hub.registry.on('online', (key, online) => key === 'GW00000001/gw1' && !online && resolve()));
    await client.endAsync();
    await offline;
    t.false(fx.hub.registry.isOnline('SB00000001/test1'));
  } finally {
    await fx.cleanup();
  }
});

test('a reconnect with the same client id takes over: the new session keeps its rights and stays online', async (t) => {
  const fx = await startHub();
  try {
    const first = await connectDevice(fx, GW);
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connectDevice(fx, GW);
    await firstClosed;
    t.true(fx.hub.isOnline(GW.productId, GW.deviceName));
    const granted = await second.subscribeAsync('$gateway/operation/result/GW00000001/gw1', { qos: 0 });
    t.is(granted[0]!.qos, 0);
    t.is(fx.hub.stats.aclDenials, 0);
  } finally {
    await fx.cleanup();
  }
});
