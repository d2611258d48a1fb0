import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, UnknownPluginError, silentLogger } from '@iotgw/domain';
import { FakeFirmwareStore, FakeHub, ManualClock, MemoryStateStore, MemorySubdeviceLink } from '@iotgw/testkit';
import { assembleGateway, PluginRegistry, SubdevicePresence, type PluginContext } from '../src/index.js';
import { SUB_A } from './support/harness.js';

function registry(): { registry: PluginRegistry; hub: FakeHub; links: MemorySubdeviceLink[]; contexts: PluginContext[] } {
  const hub = new FakeHub({ bound: [SUB_A] });
  const links: MemorySubdeviceLink[] = [];
  const contexts: PluginContext[] = [];
  const r = new PluginRegistry()
    .register('hub:memory', (_o, context) => {
      contexts.push(context);
      return hub;
    })
    .register('firmware:memory', () => new FakeFirmwareStore())
    .register('link:memory', async (options) => {
      await Promise.resolve();
      const link = new MemorySubdeviceLink({ name: typeof options['name'] === 'string' ? options['name'] : 'memory' });
      links.push(link);
      return link;
    });
  return { registry: r, hub, links, contexts };
}

const config = {
  hub: { kind: 'hub:memory' },
  firmware: { kind: 'firmware:memory' },
  links: [{ kind: 'link:memory', options: { name: 'rs485' } }, { kind: 'link:memory', options: { name: 'ble' } }],
  subdevices: ['PRODUCTAAA/sensor-a'],
};

test('an unknown kind is an UnknownPluginError that lists the known kinds', async (t) => {
  const { registry: r } = registry();
  const context = { logger: silentLogger, clock: new ManualClock(), stateStore: new MemoryStateStore(), dataDir: '.' };
  const error = await t.throwsAsync(r.create('link:serial', {}, context), { instanceOf: UnknownPluginError });
  t.is(error?.code, 'plugin.unknown');
  t.regex(error?.message ?? '', /"link:serial".*firmware:memory, hub:memory, link:memory/);
  t.true(r.has('hub:memory'));
  t.deepEqual(new PluginRegistry().kinds(), []);
});

test('a gateway is assembled from adapters named in the config, each factory getting options and the shared context', async (t) => {
  const { registry: r, links, contexts } = registry();
  const stateStore = new MemoryStateStore();
  const gateway = await assembleGateway({ ...config, dataDir: '/var/lib/iotgw' }, r, { stateStore, clock: new ManualClock() });
  t.deepEqual(links.map((l) => l.name), ['rs485', 'ble']);
  t.is(contexts[0]?.stateStore, stateStore);
  t.is(contexts[0]?.dataDir, '/var/lib/iotgw');
  t.deepEqual(gateway.settings.subdevices, [SUB_A]);
  t.is(gateway.settings.onlinePolicy, 'on_attach');
  await gateway.start();
  t.is(gateway.hub.state, 'connected');
  t.true(links.every((l) => l.started));
  await gateway.dispose();
  await gateway.dispose();
  t.is(gateway.hub.state, 'closed');
  t.true(links.every((l) => !l.started));
});

test('two gateways in one process get their own containers and share nothing', async (t) => {
  const a = registry();
  const b = registry();
  const ga = await assembleGateway(config, a.registry, { stateStore: new MemoryStateStore() });
  const gb = await assembleGateway(config, b.registry, { stateStore: new MemoryStateStore() });
  t.not(ga.container, gb.container);
  t.not(ga.service, gb.service);
  t.is(ga.service.presence, ga.container.resolve(SubdevicePresence), 'use cases are singletons per gateway');
  t.not(ga.service.presence, gb.service.presence);
  await ga.dispose();
  await gb.dispose();
});

test('swapping a link in a test: register another factory under the same kind', async (t) => {
  const { registry: r } = registry();
  const scripted = new MemorySubdeviceLink({ name: 'scripted' });
  r.register('link:memory', () => scripted);
  const gateway = await assembleGateway({ ...config, links: [{ kind: 'link:memory' }] }, r, { stateStore: new MemoryStateStore() });
  await gateway.start();
  scripted.attach(SUB_A, '1.0.0');
  await gateway.service.idle();
  t.is(gateway.links[0], scripted);
  t.true((gateway.hub as FakeHub).isOnline(SUB_A));
  await gateway.dispose();
});

test('config errors name the field: wrong kind prefix, bad subdevice', async (t) => {
  const { registry: r } = registry();
  const e1 = await t.throwsAsync(assembleGateway({ ...config, hub: { kind: 'link:memory' } }, r), { instanceOf: ConfigError });
  t.is(e1?.field, 'hub');
  const e2 = await t.throwsAsync(assembleGateway({ ...config, subdevices: ['nope'] }, r), { instanceOf: ConfigError });
  t.is(e2?.field, 'subdevices[0]');
});

test('a failing adapter factory closes the adapters already built', async (t) => {
  const { registry: r, hub } = registry();
  r.register('link:broken', () => {
    throw new Error('no such port /dev/ttyUSB9');
  });
  await t.throwsAsync(assembleGateway({ ...config, links: [{ kind: 'link:broken' }] }, r), { message: /ttyUSB9/ });
  t.is(hub.state, 'closed');
});

test('defaults: a FileStateStore under dataDir and an env secret store', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-gw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { registry: r, contexts } = registry();
  const gateway = await assembleGateway({ ...config, dataDir: dir, secrets: { 'PRODUCTAAA/sensor-a': 'abc' }, secretsFile: join(dir, 's.json') }, r, {
    env: {},
  });
  await contexts[0]!.stateStore.put('probe', 1);
  t.deepEqual(await contexts[0]!.stateStore.list(''), ['probe']);
  await gateway.start();
  const [result] = await gateway.service.binding.bind([SUB_A]);
  t.is(result?.hubCode, -2, 'the fake hub knows no secret for it: refused, but the secret came from the config');
  await gateway.dispose();
});

test('a hub that refuses the credentials fails start; dispose still cleans up', async (t) => {
  const { registry: r, hub } = registry();
  hub.refuseCredentials = true;
  const gateway = await assembleGateway(config, r, { stateStore: new MemoryStateStore() });
  await t.throwsAsync(gateway.start(), { message: /refused the credentials/ });
  await gateway.dispose();
  t.is(hub.state, 'closed');
});
