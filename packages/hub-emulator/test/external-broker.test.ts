import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { encodeGatewayRequest } from '@iotgw/protocol-tencent';
import { MosquittoBroker } from '@iotgw/testkit/mosquitto';
import { HubEmulator } from '../src/index.js';
import { sampleRegistry } from './helpers.js';

test('external broker mode: the hub logic answers operations through mosquitto', async (t) => {
  if (!MosquittoBroker.available()) {
    if (process.env['CI'] === 'true') t.fail('mosquitto missing');
    else t.pass('mosquitto missing: skipped');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'hub-ext-'));
  const broker = await MosquittoBroker.launch();
  const url = broker.url;
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify(sampleRegistry()));
  const hub = await HubEmulator.start({ httpPort: 0, brokerUrl: url, registryPath });
  const gateway = mqtt.connect(url, { clientId: 'GW00000001gw1', protocolVersion: 4, reconnectPeriod: 0 });
  try {
    t.is(hub.urls.mqtt, url);
    await new Promise<void>((resolve) => gateway.once('connect', () => resolve()));
    await gateway.subscribeAsync('$gateway/operation/result/GW00000001/gw1', { qos: 1 });
    const reply = new Promise<any>((resolve) => gateway.on('message', (_topic, p) => resolve(JSON.parse(p.toString()))));
    await gateway.publishAsync('$gateway/operation/GW00000001/gw1', encodeGatewayRequest({ type: 'online', devices: [{ productId: 'SB00000001', deviceName: 'test1' }] }), { qos: 0 });
    t.deepEqual(await reply, { type: 'online', payload: { devices: [{ product_id: 'SB00000001', device_name: 'test1', result: 0 }] } });
    t.true(hub.registry.isOnline('SB00000001/test1'));
  } finally {
    await gateway.endAsync(true);
    await hub.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
