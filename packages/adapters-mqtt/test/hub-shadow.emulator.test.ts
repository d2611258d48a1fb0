import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { HubEmulator } from '@iotgw/hub-emulator';
import { describeHubShadowContract } from '@iotgw/testkit';
import { MqttHubTransport } from '../src/index.js';

const GW = subdeviceId('GW00000001', 'gw1');
const SUBS = [subdeviceId('SB00000001', 'test1'), subdeviceId('SB00000001', 'test2')] as const;
const secret = (name: string): string => Buffer.from(`${name}-secret`).toString('base64');

// The shadow clauses of the HubTransport contract, against the hub emulator's shadows.
describeHubShadowContract(
  test,
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iotgw-shadow-'));
    const registryPath = join(dir, 'registry.json');
    await writeFile(
      registryPath,
      JSON.stringify({
        devices: [{ ...GW, deviceSecret: secret('gw1'), gateway: true }, ...SUBS.map((s) => ({ ...s, deviceSecret: secret(s.deviceName) }))],
        bindings: SUBS.map((s) => ({ gateway: 'GW00000001/gw1', subdevice: `${s.productId}/${s.deviceName}` })),
      }),
    );
    const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, host: '127.0.0.1', registryPath });
    const mqtt = new URL(hub.urls.mqtt);
    const transport = new MqttHubTransport({ gateway: GW, auth: { mode: 'KEY', deviceSecret: secret('gw1') }, host: mqtt.hostname, port: Number(mqtt.port), tls: false });
    return {
      transport,
      subdevices: SUBS,
      setDesired: async (sub, desired) => void (await hub.core.shadows.setDesired(`${sub.productId}/${sub.deviceName}`, desired)),
      shadowAtHub: (sub) => Promise.resolve(hub.core.shadows.of(`${sub.productId}/${sub.deviceName}`)),
      dispose: async () => {
        await transport.close();
        await hub.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  'MqttHubTransport (hub emulator)',
);

test('hubTime: the emulator answers $sys/operation get time; the transport returns NTP-corrected hub time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-time-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify({ devices: [{ ...GW, deviceSecret: secret('gw1'), gateway: true }], bindings: [] }));
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, host: '127.0.0.1', registryPath });
  t.teardown(() => hub.close());
  const mqtt = new URL(hub.urls.mqtt);
  const transport = new MqttHubTransport({ gateway: GW, auth: { mode: 'KEY', deviceSecret: secret('gw1') }, host: mqtt.hostname, port: Number(mqtt.port), tls: false });
  t.teardown(() => transport.close());
  await transport.connect();
  const before = Date.now();
  const { unixMs, at } = await transport.hubTime({ timeoutMs: 5000 });
  t.true(at >= before && at <= Date.now());
  t.true(Math.abs(unixMs - at) < 100, `hub ${unixMs} vs local ${at}`);
  t.is(hub.core.timeRequests, 1);
  t.is(hub.stats.aclDenials, 0);
});
