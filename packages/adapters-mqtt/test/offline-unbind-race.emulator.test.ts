import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { HubEmulator } from '@iotgw/hub-emulator';
import { MqttHubTransport } from '../src/index.js';

const GW = subdeviceId('GW00000001', 'gw1');
const SUB = subdeviceId('SB00000001', 'test1');
const GW_SECRET = Buffer.from('gateway-secret-1').toString('base64');
const SUB_SECRET = Buffer.from('sub-secret-1').toString('base64');

test('a subdevice sending flat out is taken offline and unbound without a single ACL denial (the gateway is never disconnected)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-race-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(
    registryPath,
    JSON.stringify({
      devices: [{ ...GW, deviceSecret: GW_SECRET, gateway: true }, { ...SUB, deviceSecret: SUB_SECRET }],
      bindings: [],
    }),
  );
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, host: '127.0.0.1', registryPath });
  t.teardown(() => hub.close());
  const mqtt = new URL(hub.urls.mqtt);
  const transport = new MqttHubTransport({ gateway: GW, auth: { mode: 'KEY', deviceSecret: GW_SECRET }, host: mqtt.hostname, port: Number(mqtt.port), tls: false });
  t.teardown(() => transport.close());
  const states: string[] = [];
  transport.on('state', (s) => states.push(s));
  await transport.connect();

  let sending = true;
  let sent = 0;
  const sender = (async () => {
    while (sending) {
      for (let i = 0; i < 20; i++) void transport.publishData(SUB, 'data', new TextEncoder().encode(`{"n":${sent++}}`));
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  for (let round = 0; round < 5; round++) {
    t.true((await transport.bind([{ subdevice: SUB, secret: SUB_SECRET }]))[0]?.ok);
    t.true((await transport.online([SUB]))[0]?.ok);
    await new Promise((resolve) => setTimeout(resolve, 20)); // data flows
    t.true((await transport.offline([SUB]))[0]?.ok);
    t.true((await transport.online([SUB]))[0]?.ok);
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.true((await transport.unbind([SUB]))[0]?.ok);
  }
  sending = false;
  await sender;
  t.true(sent > 1000, `${sent} readings sent`);
  t.deepEqual(hub.denials, [], 'no ACL denial');
  t.false(states.includes('reconnecting'), 'never disconnected by the hub');
});
