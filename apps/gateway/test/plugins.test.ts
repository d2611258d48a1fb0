import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleGateway } from '@iotgw/app';
import { CapturingLogger, FakeFirmwareStore, FakeHub, MemorySubdeviceLink } from '@iotgw/testkit';
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

test('the registry knows every shipped adapter by name, and no test double', (t) => {
  t.deepEqual(createPluginRegistry().kinds(), ['firmware:http', 'hub:mqtt', 'link:ble', 'link:serial']);
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
  t.deepEqual((app.links[0]?.options as { serves: unknown }).serves, [{ id: 'SB00000001/sensor1' }, { id: 'SB00000001/sensor2' }]);
  t.deepEqual((app.links[1]?.options as { serves: unknown }).serves, [{ id: 'SB00000002/tag1' }]);
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

test('the mapped config assembles a real gateway that starts and stops (adapters swapped for test doubles by kind)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const config = parseGatewayConfig(JSON.stringify({ links: [{ adapter: 'serial', path: 'tty0', subdevices: ['SB00000001/sensor1'] }], dataDir: dir }));
  const { config: app, overrides } = await toAppConfig(deviceInfo, config, { logger: new CapturingLogger() });
  t.is(app.firmware.kind, 'firmware:http');
  // A product (or a test) replaces any shipped adapter by registering its kind again.
  const registry = createPluginRegistry()
    .register('hub:mqtt', () => new FakeHub())
    .register('firmware:http', () => new FakeFirmwareStore())
    .register('link:serial', () => new MemorySubdeviceLink({ name: 'bench' }));
  const gateway = await assembleGateway(app, registry, overrides);
  await gateway.start({ timeoutMs: 10_000 });
  t.is(gateway.links.length, 1);
  t.is(gateway.links[0]?.name, 'bench');
  await gateway.dispose({ timeoutMs: 10_000 });
});

test('a serial link serves the subdevices it lists at their addresses; one listing none serves the declared ones no other link lists', async (t) => {
  const config = parseGatewayConfig(
    JSON.stringify({
      links: [
        { adapter: 'serial', path: '/dev/ttyS1', crc: 'crc16', subdevices: [{ id: 'SB00000001/sensor2', address: 7 }, 'SB00000002/tag1'] },
        { adapter: 'serial', path: '/dev/ttyS2' },
      ],
    }),
  );
  const { config: app } = await toAppConfig(deviceInfo, config, { logger: new CapturingLogger() });
  t.like(app.links[0]?.options, { crc: 'crc16', serves: [{ id: 'SB00000001/sensor2', address: 7 }, { id: 'SB00000002/tag1' }] });
  // sensor1 comes from the device info's subdevice list and is listed by no link.
  t.deepEqual((app.links[1]?.options as { serves: unknown }).serves, [{ id: 'SB00000001/sensor1' }]);
  const link = await createPluginRegistry().create('link:serial', app.links[0]!.options!, {
    logger: new CapturingLogger(),
    clock: { now: () => 0, sleep: () => Promise.resolve() },
    stateStore: undefined as never,
    dataDir: '.',
  });
  t.is(link.name, 'serial:/dev/ttyS1');
  t.is(link.capabilities.maxPayloadSize, 1100 - 5 - 2, 'crc16 frames carry a 2-byte checksum');
});
