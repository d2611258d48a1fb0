import 'reflect-metadata';
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defineAdapter, parseSubdeviceKey, type AdapterContext, type OptionsSchema, type SubdeviceId } from '@iotgw/domain';
import { FakeFirmwareStore, FakeHub, ManualClock, MemoryStateStore, MemorySubdeviceLink, fakeAdapter } from '@iotgw/testkit';
import { assembleGateway, AdapterRegistry, SubdevicePresence } from '../src/index.js';
import { SUB_A, SUB_B } from './support/harness.js';

function registry(): { registry: AdapterRegistry; hub: FakeHub; links: MemorySubdeviceLink[]; contexts: AdapterContext[] } {
  const hub = new FakeHub({ bound: [SUB_A] });
  const links: MemorySubdeviceLink[] = [];
  const contexts: AdapterContext[] = [];
  const r = new AdapterRegistry([
    fakeAdapter('hub', 'memory', (_o, context) => {
      contexts.push(context);
      return hub;
    }),
    fakeAdapter('firmware', 'memory', () => new FakeFirmwareStore()),
    fakeAdapter('link', 'memory', async (options, context) => {
      await Promise.resolve();
      contexts.push(context);
      const link = new MemorySubdeviceLink({ name: typeof options['name'] === 'string' ? options['name'] : 'memory' });
      links.push(link);
      return link;
    }),
  ]);
  return { registry: r, hub, links, contexts };
}

const config = {
  hub: { adapter: 'memory' },
  firmware: { adapter: 'memory' },
  links: [{ adapter: 'memory', options: { name: 'rs485' } }, { adapter: 'memory', options: { name: 'ble' } }],
  subdevices: ['PRODUCTAAA/sensor-a'],
};

/** A hand-written Standard Schema (no zod here): `{ port: number, subdevices?: string[] }`. */
interface TcpOptions {
  readonly port: number;
  readonly subdevices: readonly string[];
}
const tcpOptions: OptionsSchema<TcpOptions> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => {
      const v = value as { port?: unknown; subdevices?: unknown };
      if (typeof v.port !== 'number') return { issues: [{ message: 'must be a TCP port number', path: ['port'] }] };
      return { value: { port: v.port, subdevices: Array.isArray(v.subdevices) ? (v.subdevices as string[]) : [] } };
    },
  },
};

function tcpLink(made: Array<{ options: TcpOptions; served: readonly SubdeviceId[] }>) {
  return defineAdapter({
    kind: 'link',
    name: 'tcp',
    summary: 'test link',
    options: tcpOptions,
    subdevicesOf: (o) => o.subdevices.map((s) => parseSubdeviceKey(s)),
    create: (options, context) => {
      made.push({ options, served: context.subdevices });
      return new MemorySubdeviceLink({ name: `tcp:${options.port}` });
    },
  });
}

test('an unknown adapter name is a ConfigError on the field, listing the known names of that kind', async (t) => {
  const { registry: r } = registry();
  const error = await t.throwsAsync(assembleGateway({ ...config, links: [{ adapter: 'serial' }] }, r), { instanceOf: ConfigError });
  t.is(error?.field, 'links.0.adapter');
  t.regex(error?.message ?? '', /unknown link adapter "serial": known link adapters are "memory"; .*"plugins"/);
  t.deepEqual(r.names('link'), ['memory']);
  t.deepEqual(new AdapterRegistry().names('hub'), []);
});

test('options are checked with the descriptor\'s schema: the error names links.N.<field> with its message, and nothing is built', async (t) => {
  const { registry: r, hub } = registry();
  const made: Array<{ options: TcpOptions; served: readonly SubdeviceId[] }> = [];
  r.add(tcpLink(made));
  const error = await t.throwsAsync(
    assembleGateway({ ...config, links: [{ adapter: 'memory' }, { adapter: 'tcp', options: { port: 'x' } }] }, r, { stateStore: new MemoryStateStore() }),
    { instanceOf: ConfigError },
  );
  t.is(error?.field, 'links.1.port');
  t.is(error?.message, 'links.1.port: must be a TCP port number');
  t.is(hub.state, 'idle', 'the hub was never built, so never connected');
  t.is(made.length, 0);
});

test('a link gets its validated options and the subdevices it serves; one naming none serves the rest', async (t) => {
  const { registry: r, contexts } = registry();
  const made: Array<{ options: TcpOptions; served: readonly SubdeviceId[] }> = [];
  r.add(tcpLink(made));
  const gateway = await assembleGateway(
    {
      ...config,
      subdevices: [SUB_A, SUB_B],
      links: [{ adapter: 'tcp', options: { port: 1, subdevices: ['PRODUCTAAA/sensor-b'] } }, { adapter: 'memory' }],
    },
    r,
    { stateStore: new MemoryStateStore() },
  );
  t.deepEqual(made, [{ options: { port: 1, subdevices: ['PRODUCTAAA/sensor-b'] }, served: [SUB_B] }]);
  t.deepEqual(contexts.at(-1)?.subdevices, [SUB_A], 'the link naming none serves the declared subdevice no other link names');
  t.deepEqual(contexts[0]?.subdevices, [SUB_A, SUB_B], 'the hub deals with every declared subdevice');
  await gateway.dispose();
});

test('two descriptors of one kind and name clash; replace swaps one on purpose', (t) => {
  const r = new AdapterRegistry([fakeAdapter('link', 'memory', () => new MemorySubdeviceLink())]);
  const error = t.throws(() => r.add(fakeAdapter('link', 'memory', () => new MemorySubdeviceLink())), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /two link adapters are named "memory"/);
  r.add(fakeAdapter('hub', 'memory', () => new FakeHub()));
  const other = fakeAdapter('link', 'memory', () => new MemorySubdeviceLink());
  r.replace(other);
  t.is(r.get('link', 'memory'), other);
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

test('swapping a link in a test: replace the descriptor of the same kind and name', async (t) => {
  const { registry: r } = registry();
  const scripted = new MemorySubdeviceLink({ name: 'scripted' });
  r.replace(fakeAdapter('link', 'memory', () => scripted));
  const gateway = await assembleGateway({ ...config, links: [{ adapter: 'memory' }] }, r, { stateStore: new MemoryStateStore() });
  await gateway.start();
  scripted.attach(SUB_A, '1.0.0');
  await gateway.service.idle();
  t.is(gateway.links[0], scripted);
  t.true((gateway.hub as FakeHub).isOnline(SUB_A));
  await gateway.dispose();
});

test('config errors name the field: an adapter of another kind, bad subdevice', async (t) => {
  const { registry: r } = registry();
  r.add(tcpLink([]));
  const e1 = await t.throwsAsync(assembleGateway({ ...config, hub: { adapter: 'tcp' } }, r), { instanceOf: ConfigError });
  t.is(e1?.field, 'hub.adapter');
  t.regex(e1?.message ?? '', /unknown hub adapter "tcp": known hub adapters are "memory"/);
  const e2 = await t.throwsAsync(assembleGateway({ ...config, subdevices: ['nope'] }, r), { instanceOf: ConfigError });
  t.is(e2?.field, 'subdevices[0]');
});

test('a failing adapter factory closes the adapters already built', async (t) => {
  const { registry: r, hub } = registry();
  r.add(
    fakeAdapter('link', 'broken', () => {
      throw new Error('no such port /dev/ttyUSB9');
    }),
  );
  await t.throwsAsync(assembleGateway({ ...config, links: [{ adapter: 'broken' }] }, r), { message: /ttyUSB9/ });
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
