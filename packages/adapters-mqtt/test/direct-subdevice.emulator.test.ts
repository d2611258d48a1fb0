import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import mqtt from 'mqtt';
import { subdeviceId } from '@iotgw/domain';
import { HubEmulator } from '@iotgw/hub-emulator';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { MqttHubTransport } from '../src/index.js';

const GW = subdeviceId('GW00000001', 'gw1');
const SUB = subdeviceId('SB00000001', 'test1');
const GW_SECRET = Buffer.from('gateway-secret-1').toString('base64');
const SUB_SECRET = Buffer.from('sub-secret-1').toString('base64');

test('a subdevice that connects to the hub directly with its own secret and disconnects does not get the gateway that serves it disconnected', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-direct-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(
    registryPath,
    JSON.stringify({ devices: [{ ...GW, deviceSecret: GW_SECRET, gateway: true }, { ...SUB, deviceSecret: SUB_SECRET }], bindings: [] }),
  );
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, host: '127.0.0.1', registryPath });
  t.teardown(() => hub.close());
  const url = new URL(hub.urls.mqtt);
  const transport = new MqttHubTransport({ gateway: GW, auth: { mode: 'KEY', deviceSecret: GW_SECRET }, host: url.hostname, port: Number(url.port), tls: false });
  t.teardown(() => transport.close());
  const states: string[] = [];
  transport.on('state', (s) => states.push(s));
  await transport.connect();
  t.true((await transport.bind([{ subdevice: SUB, secret: SUB_SECRET }]))[0]?.ok);
  t.true((await transport.online([SUB]))[0]?.ok);
  await transport.publishData(SUB, 'data', new TextEncoder().encode('{"via":"gateway"}'));

  // The same subdevice, on its own connection (say, a field technician's test with its secret).
  const auth = buildKeyAuth({ ...SUB, deviceSecret: SUB_SECRET });
  const direct = await mqtt.connectAsync(hub.urls.mqtt, { clientId: auth.clientId, username: auth.username, password: auth.password, protocolVersion: 4, reconnectPeriod: 0 });
  await direct.endAsync();
  await new Promise((resolve) => setTimeout(resolve, 200)); // the hub notices the disconnect

  for (let i = 0; i < 5; i++) await transport.publishData(SUB, 'data', new TextEncoder().encode(`{"after":${i}}`));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.deepEqual(hub.denials, [], 'no ACL denial');
  t.false(states.includes('reconnecting'), 'the gateway was never disconnected');
});
