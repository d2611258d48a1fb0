import test from 'ava';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { HubEmulator } from '../src/index.js';
import { GW, sampleRegistry } from './helpers.js';

async function connectOutcome(url: string, options: mqtt.IClientOptions): Promise<{ client: mqtt.MqttClient; code: number | undefined }> {
  const client = mqtt.connect(url, { ...options, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
  const code = await new Promise<number | undefined>((resolve) => {
    client.once('connect', () => resolve(0));
    client.once('error', (error) => resolve((error as Error & { code?: number }).code));
  });
  return { client, code };
}

test('with wsPort the broker also speaks MQTT over websocket at /mqtt, with the same key auth and gateway operations', async (t) => {
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, wsPort: 0 });
  hub.registry.load(sampleRegistry());
  try {
    t.regex(hub.urls.ws ?? '', /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    const bad = await connectOutcome(hub.urls.ws!, { ...buildKeyAuth({ ...GW, deviceSecret: Buffer.from('wrong').toString('base64') }) });
    await bad.client.endAsync(true);
    t.is(bad.code, 4, 'a wrong password is refused over websocket too');

    const { client, code } = await connectOutcome(hub.urls.ws!, buildKeyAuth(GW));
    try {
      t.is(code, 0);
      t.true(hub.isOnline(GW.productId, GW.deviceName));
      // A gateway operation over websocket is answered like over TCP.
      const resultTopic = `$gateway/operation/result/${GW.productId}/${GW.deviceName}`;
      await client.subscribeAsync(resultTopic, { qos: 1 });
      const reply = new Promise<{ type: string; payload: { devices: { result: number }[] } }>((resolve) =>
        client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as never)),
      );
      await client.publishAsync(`$gateway/operation/${GW.productId}/${GW.deviceName}`, JSON.stringify({ type: 'describe_sub_devices' }), { qos: 1 });
      const answer = await reply;
      t.is(answer.type, 'describe_sub_devices');
      t.true(Array.isArray(answer.payload.devices));
    } finally {
      await client.endAsync(true);
    }
  } finally {
    await hub.close();
  }
});

test('close disconnects websocket clients and does not hang on their connections', async (t) => {
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, wsPort: 0 });
  hub.registry.load(sampleRegistry());
  const { client, code } = await connectOutcome(hub.urls.ws!, buildKeyAuth(GW));
  t.is(code, 0);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await hub.close();
  await closed;
  await client.endAsync(true);
  t.false(client.connected);
});
