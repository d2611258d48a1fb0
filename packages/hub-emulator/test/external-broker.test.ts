import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { encodeGatewayRequest } from '@iotgw/protocol-tencent';
import { HubEmulator } from '../src/index.js';
import { sampleRegistry } from './helpers.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startMosquitto(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `mqtt://127.0.0.1:${port}`;
  // Ready when a client can connect.
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 500 });
      c.once('connect', () => void c.endAsync().then(() => resolve(true)));
      c.once('error', () => void c.endAsync(true).then(() => resolve(false)));
    });
    if (ok) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('mosquitto did not start');
}

test('external broker mode: the hub logic answers operations through mosquitto', async (t) => {
  if (!existsSync(MOSQUITTO)) {
    if (process.env['CI'] === 'true') t.fail(`${MOSQUITTO} missing`);
    else t.pass('mosquitto missing: skipped');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'hub-ext-'));
  const { url, child } = await startMosquitto(dir);
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
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
});
