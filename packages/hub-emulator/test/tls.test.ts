import test from 'ava';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { HubEmulator } from '../src/index.js';
import { GW, sampleRegistry } from './helpers.js';

test('with tlsPort the broker also speaks MQTT over TLS with a generated certificate, same key auth', async (t) => {
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, tlsPort: 0 });
  hub.registry.load(sampleRegistry());
  try {
    t.regex(hub.urls.mqtts ?? '', /^mqtts:\/\/127\.0\.0\.1:\d+$/);
    t.regex(hub.tlsCertificate ?? '', /BEGIN CERTIFICATE/);
    const creds = buildKeyAuth(GW);
    const client = mqtt.connect(hub.urls.mqtts!, { ...creds, protocolVersion: 4, reconnectPeriod: 0, ca: hub.tlsCertificate!, servername: 'localhost' });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      t.true(hub.isOnline(GW.productId, GW.deviceName));
    } finally {
      await client.endAsync(true);
    }
    // An untrusting client is refused by TLS itself.
    const strict = mqtt.connect(hub.urls.mqtts!, { ...creds, protocolVersion: 4, reconnectPeriod: 0 });
    const error = await new Promise<Error>((resolve) => strict.once('error', resolve));
    await strict.endAsync(true);
    t.regex(error.message, /self[- ]signed|certificate/i);
  } finally {
    await hub.close();
  }
});
