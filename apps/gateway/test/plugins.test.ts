import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleGateway } from '@iotgw/app';
import { CapturingLogger } from '@iotgw/testkit';
import { parseDeviceInfo, parseGatewayConfig } from '../src/index.js';
import { createPluginRegistry, toAppConfig } from '../src/plugins.js';

const deviceInfo = parseDeviceInfo(
  JSON.stringify({
    auth_mode: 'KEY',
    productId: 'GW00000001',
    deviceName: 'gw1',
    key_deviceinfo: { deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' },
    subDev: {
      subdev_list: [
        { sub_productId: 'SB00000001', sub_devName: 'sensor1' },
        { sub_productId: 'SB00000001', sub_devName: 'sensor2' },
        { sub_productId: 'SB00000002', sub_devName: 'tag1' },
      ],
    },
  }),
);

test('the registry knows every shipped adapter by name', (t) => {
  t.deepEqual(createPluginRegistry().kinds(), [
    'firmware:http',
    'firmware:memory',
    'hub:memory',
    'hub:mqtt',
    'link:ble',
    'link:memory',
    'link:serial',
  ]);
});

test('toAppConfig maps hub, links, subdevices, OTA and resolves secret references', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 's2.secret'), 'c2Vuc29yMnNlY3JldA==\n');
  const config = parseGatewayConfig(
    JSON.stringify({
      hub: { host: '127.0.0.1', port: 1883, tls: false },
      links: [
        { adapter: 'serial', path: 'tty0', subdevices: ['SB00000001/sensor1', 'SB00000001/sensor2'] },
        { adapter: 'ble', central: 'simulated', subdevices: [{ id: 'SB00000002/tag1', localName: 'TAG-1' }] },
      ],
      secrets: { 'SB00000001/sensor1': { env: 'S1_SECRET' }, 'SB00000001/sensor2': { file: 's2.secret' } },
      dataDir: 'data',
      ota: { concurrencyPerLink: 2, allowedHosts: ['*.cos.example.com'], allowLoopback: true, maxImageBytes: 4096 },
    }),
  );
  const { config: app, overrides } = await toAppConfig(deviceInfo, config, { baseDir: dir, env: { S1_SECRET: 'czFzZWNyZXQ=' }, logger: new CapturingLogger() });
  t.is(app.dataDir, join(dir, 'data'));
  t.is(app.hub.kind, 'hub:mqtt');
  t.like(app.hub.options, { host: '127.0.0.1', port: 1883, tls: false, gateway: { productId: 'GW00000001', deviceName: 'gw1' } });
  t.deepEqual((app.hub.options as { auth: unknown }).auth, { mode: 'KEY', deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' });
  t.is(app.firmware.kind, 'firmware:http');
  t.deepEqual(app.links.map((l) => l.kind), ['link:serial', 'link:ble']);
  t.is((app.links[0]?.options as { path: string }).path, join(dir, 'tty0'));
  t.deepEqual(
    (app.subdevices ?? []).map((s) => (typeof s === 'string' ? s : `${s.productId}/${s.deviceName}`)),
    ['SB00000001/sensor1', 'SB00000001/sensor2', 'SB00000002/tag1'],
  );
  t.deepEqual(app.ota, { concurrencyPerLink: 2, allowedHosts: ['*.cos.example.com'], allowLoopback: true, allowLinkLocal: false, maxImageBytes: 4096 });
  // The store checks resolved addresses and redirects with the same permissions.
  t.deepEqual(app.firmware.options, { allowLoopback: true, allowLinkLocal: false });
  t.deepEqual(app.secrets, { 'SB00000001/sensor1': 'czFzZWNyZXQ=', 'SB00000001/sensor2': 'c2Vuc29yMnNlY3JldA==' });
  t.truthy(overrides.stateStore);
});

test('a missing secret reference is a ConfigError naming the subdevice and the variable, not a value', async (t) => {
  const config = parseGatewayConfig(JSON.stringify({ secrets: { 'SB00000001/sensor1': { env: 'NOPE_SECRET' } } }));
  const error = await t.throwsAsync(toAppConfig(deviceInfo, config, { env: {}, logger: new CapturingLogger() }));
  t.is((error as { code?: string }).code, 'config.invalid');
  t.regex(error?.message ?? '', /secrets\.SB00000001\/sensor1: .*NOPE_SECRET/);
});

test('the mapped config assembles a real gateway (memory hub, memory link) that starts and stops', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const config = parseGatewayConfig(
    JSON.stringify({ hub: { adapter: 'memory' }, links: [{ adapter: 'memory', subdevices: ['SB00000001/sensor1'] }], dataDir: dir }),
  );
  const { config: app, overrides } = await toAppConfig(deviceInfo, config, { logger: new CapturingLogger() });
  t.is(app.firmware.kind, 'firmware:memory');
  const gateway = await assembleGateway(app, createPluginRegistry(), overrides);
  await gateway.start({ timeoutMs: 10_000 });
  t.is(gateway.links.length, 1);
  t.is(gateway.links[0]?.name, 'memory');
  await gateway.dispose({ timeoutMs: 10_000 });
});
