import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleGateway } from '@iotgw/app';
import { subdeviceId, systemClock, type SubdeviceLink } from '@iotgw/domain';
import { CapturingLogger, FakeFirmwareStore, FakeHub, MemorySecretStore, MemoryStateStore, MemorySubdeviceLink, fakeAdapter } from '@iotgw/testkit';
import { createAdapterRegistry, parseDeviceInfo, parseGatewayConfig } from '../src/index.js';
import { toAppConfig } from '../src/plugins.js';

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
  const registry = createAdapterRegistry();
  t.deepEqual(registry.names('hub'), ['mqtt']);
  t.deepEqual(registry.names('firmware'), ['http']);
  t.deepEqual(registry.names('link'), ['ble', 'modbus', 'serial']);
});

test('toAppConfig maps hub, links, subdevices, OTA and resolves secret references', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 's2.secret'), 'c2Vuc29yMnNlY3JldA==\n');
  const config = parseGatewayConfig(
    JSON.stringify({
      hub: { host: '127.0.0.1', port: 1883, tls: false, rrpcTimeoutMs: 2500 },
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
  t.is(app.hub.adapter, 'mqtt');
  t.like(app.hub.options, { host: '127.0.0.1', port: 1883, tls: false });
  t.is(app.rrpcTimeoutMs, 2500, 'the RRPC deadline comes from the hub section, as batchSize and operationTimeoutMs');
  t.like(parseGatewayConfig('{}').hub, { adapter: 'mqtt', rrpcTimeoutMs: 3500 });
  t.like(app.gateway, { identity: { productId: 'GW00000001', deviceName: 'gw1' }, region: 'china', dataChannels: ['data'] });
  t.deepEqual(app.gateway?.credentials, { mode: 'key', deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' });
  t.is(app.baseDir, dir, 'adapters resolve relative option paths (a serial path) against it');
  t.is(app.firmware.adapter, 'http');
  t.deepEqual(app.links.map((l) => l.adapter), ['serial', 'ble']);
  t.like(app.links[0]?.options, { path: 'tty0', subdevices: ['SB00000001/sensor1', 'SB00000001/sensor2'] });
  t.deepEqual(
    (app.subdevices ?? []).map((s) => (typeof s === 'string' ? s : `${s.productId}/${s.deviceName}`)),
    ['SB00000001/sensor1', 'SB00000001/sensor2', 'SB00000002/tag1'],
  );
  t.deepEqual(app.ota, { concurrencyPerLink: 2, allowedHosts: ['*.cos.example.com'], allowLoopback: true, allowLinkLocal: false, maxImageBytes: 4096 });
  // The store checks resolved addresses and redirects with the same permissions.
  t.deepEqual(app.gateway?.firmwareSources, { allowLoopback: true, allowLinkLocal: false });
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
  t.is(app.firmware.adapter, 'http');
  // A product (or a test) replaces any shipped adapter with a descriptor of the same kind and name.
  const registry = createAdapterRegistry()
    .replace(fakeAdapter('hub', 'mqtt', () => new FakeHub()))
    .replace(fakeAdapter('firmware', 'http', () => new FakeFirmwareStore()))
    .replace(fakeAdapter('link', 'serial', () => new MemorySubdeviceLink({ name: 'bench' })));
  const gateway = await assembleGateway(app, registry, overrides);
  await gateway.start({ timeoutMs: 10_000 });
  t.is(gateway.links.length, 1);
  t.is(gateway.links[0]?.name, 'bench');
  await gateway.dispose({ timeoutMs: 10_000 });
});

test('a serial link is built from its validated options, at the addresses it lists, for the subdevices it serves', async (t) => {
  const config = parseGatewayConfig(
    JSON.stringify({
      links: [
        { adapter: 'serial', path: '/dev/ttyS1', crc: 'crc16', subdevices: [{ id: 'SB00000001/sensor2', address: 7 }, 'SB00000002/tag1'] },
        { adapter: 'serial', path: '/dev/ttyS2' },
      ],
    }),
  );
  const { config: app } = await toAppConfig(deviceInfo, config, { logger: new CapturingLogger() });
  t.like(app.links[0]?.options, { crc: 'crc16', baudRate: 115200, subdevices: [{ id: 'SB00000001/sensor2', address: 7 }, 'SB00000002/tag1'] });
  t.like(app.links[1]?.options, { path: '/dev/ttyS2', subdevices: [] });
  const registry = createAdapterRegistry();
  const { descriptor, options } = registry.check('link', app.links[0]!, 'links.0');
  t.deepEqual(descriptor.subdevicesOf?.(options), [subdeviceId('SB00000001', 'sensor2'), subdeviceId('SB00000002', 'tag1')]);
  const link = (await descriptor.create(options, {
    logger: new CapturingLogger(),
    clock: systemClock,
    stateStore: new MemoryStateStore(),
    dataDir: '.',
    secrets: new MemorySecretStore({}),
    signal: new AbortController().signal,
    baseDir: '/',
    subdevices: [subdeviceId('SB00000001', 'sensor2'), subdeviceId('SB00000002', 'tag1')],
  })) as SubdeviceLink;
  t.is(link.name, 'serial:/dev/ttyS1');
  t.is(link.capabilities.maxPayloadSize, 1100 - 5 - 2, 'crc16 frames carry a 2-byte checksum');
});
