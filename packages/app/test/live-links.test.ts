import 'reflect-metadata';
import test from 'ava';
import { CancelledError, ConfigError, LinkError, SecretMissingError, withDeadline, type CallOptions, type FirmwareDeliveryResult, type HubConnectionState } from '@iotgw/domain';
import { FakeFirmwareStore, FakeHub, MemorySecretStore, MemoryStateStore, MemorySubdeviceLink, fakeAdapter } from '@iotgw/testkit';
import { assembleGateway, AdapterRegistry, type Gateway } from '../src/index.js';
import { IMAGE } from './support/ota.js';
import { SECRETS, SUB_A, SUB_B, SUB_C, failReports, harness, progressStates, until } from './support/harness.js';

/** A link that never opens (its port is gone). */
class DeadLink extends MemorySubdeviceLink {
  override start(): Promise<void> {
    return Promise.reject(new LinkError('link.unavailable', `serial port /dev/${this.name} could not be opened`));
  }
}

/** A link whose port takes forever to open (only a deadline or a cancel ends its start). */
class HangingLink extends MemorySubdeviceLink {
  override start(options: CallOptions = {}): Promise<void> {
    return withDeadline(`link ${this.name} start`, options, 60_000, () => new Promise<void>(() => undefined));
  }
}

/** Links named by `options.name`, each built one recorded by name (the last build of a name wins). */
async function rig(t: import('ava').ExecutionContext, links: ReadonlyArray<Record<string, unknown>>) {
  const hub = new FakeHub({ bound: [SUB_A, SUB_B, SUB_C] });
  const built = new Map<string, MemorySubdeviceLink>();
  const registry = new AdapterRegistry([
    fakeAdapter('hub', 'memory', () => hub),
    fakeAdapter('firmware', 'memory', () => new FakeFirmwareStore()),
    fakeAdapter('link', 'memory', (options) => {
      const name = String(options['name']);
      const link = options['dead'] === true ? new DeadLink({ name }) : options['hang'] === true ? new HangingLink({ name }) : new MemorySubdeviceLink({ name });
      built.set(name, link);
      return link;
    }),
  ]);
  const choices = (names: ReadonlyArray<Record<string, unknown>>) => names.map((options) => ({ adapter: 'memory', options }));
  const gateway: Gateway = await assembleGateway(
    { hub: { adapter: 'memory' }, firmware: { adapter: 'memory' }, links: choices(links), subdevices: [SUB_A, SUB_B, SUB_C] },
    registry,
    { stateStore: new MemoryStateStore(), secretStore: new MemorySecretStore(SECRETS) },
  );
  t.teardown(() => gateway.dispose());
  const states: HubConnectionState[] = [];
  hub.on('state', (s) => states.push(s));
  const link = (name: string): MemorySubdeviceLink => {
    const l = built.get(name);
    if (!l) throw new Error(`no link ${name} was built`);
    return l;
  };
  return { hub, gateway, link, states, choices };
}

test('links change live: an added link\'s subdevice comes online, a removed one\'s goes offline, the hub connection stays and a held reading is still delivered', async (t) => {
  const r = await rig(t, [{ name: 'rs485' }, { name: 'ble' }]);
  await r.gateway.start();
  const rs485 = r.link('rs485');
  rs485.attach(SUB_A, '1.0.0');
  r.link('ble').attach(SUB_C, '1.0.0');
  await until(() => r.hub.isOnline(SUB_A) && r.hub.isOnline(SUB_C), 'A and C online');

  // Connected: ble removed, tcp added.
  const change = await r.gateway.applyLinks(r.choices([{ name: 'rs485' }, { name: 'tcp' }]));
  t.deepEqual(change, { added: ['tcp'], removed: ['ble'], kept: 1 });
  t.false(r.link('ble').started, 'the removed link was stopped');
  await until(() => !r.hub.isOnline(SUB_C), 'C offline at the hub (its link is gone)');
  r.link('tcp').attach(SUB_B, '2.0.0');
  await until(() => r.hub.isOnline(SUB_B), 'B online through the added link');
  t.deepEqual(r.gateway.links.map((l) => l.name), ['rs485', 'tcp']);
  t.is(r.link('rs485'), rs485, 'the unchanged link kept running, not rebuilt');

  // The uplink drops with a reading held for A; tcp goes while it is down.
  r.hub.disconnect();
  rs485.emitData(SUB_A, 'held while the hub was away');
  await until(() => r.hub.queued > 0, 'the reading held in the outbox');
  await r.gateway.applyLinks(r.choices([{ name: 'rs485' }]));
  r.hub.reconnect();
  await until(() => r.hub.published.some((p) => new TextDecoder().decode(p.payload) === 'held while the hub was away'), 'the held reading delivered');
  await until(() => r.hub.isOnline(SUB_A), 'A online again after the reconnect');
  await r.gateway.service.idle();
  t.false(r.hub.isOnline(SUB_B), 'B, whose link went, is not brought back online');
  t.false(r.states.includes('closed'), 'the hub connection was never closed');
  t.is(r.states.filter((s) => s === 'connecting').length, 1, 'and opened only once, at start');

  // Forwarding follows the added link: data from B on tcp reaches the hub.
  await r.gateway.applyLinks(r.choices([{ name: 'rs485' }, { name: 'tcp' }]));
  r.link('tcp').attach(SUB_B, '2.0.0');
  await until(() => r.hub.isOnline(SUB_B), 'B online again');
  r.link('tcp').emitData(SUB_B, 'from the new link');
  await until(() => r.hub.published.some((p) => new TextDecoder().decode(p.payload) === 'from the new link'), 'data from the added link forwarded');
});

test('links change live: a changed link (same name, new options) is rebuilt; a bad choice changes nothing', async (t) => {
  const r = await rig(t, [{ name: 'rs485', baud: 9600 }]);
  await r.gateway.start();
  const before = r.link('rs485');
  before.attach(SUB_A, '1.0.0');
  await until(() => r.hub.isOnline(SUB_A), 'A online');
  const error = await t.throwsAsync(r.gateway.applyLinks([{ adapter: 'serial', options: {} }]), { instanceOf: ConfigError });
  t.is(error?.field, 'links.0.adapter');
  t.true(before.started, 'nothing changed');
  t.deepEqual(await r.gateway.applyLinks(r.choices([{ name: 'rs485', baud: 115200 }])), { added: ['rs485'], removed: ['rs485'], kept: 0 });
  t.false(before.started);
  t.not(r.link('rs485'), before);
  r.link('rs485').attach(SUB_A, '1.0.0');
  await until(() => r.hub.isOnline(SUB_A), 'A online over the rebuilt link');
});

test('links change live: a new link that does not start undoes the change, the links before it run again', async (t) => {
  const r = await rig(t, [{ name: 'rs485' }, { name: 'ble' }]);
  await r.gateway.start();
  r.link('rs485').attach(SUB_A, '1.0.0');
  await until(() => r.hub.isOnline(SUB_A), 'A online');
  const error = await t.throwsAsync(r.gateway.applyLinks(r.choices([{ name: 'rs485' }, { name: 'gone', dead: true }])), { instanceOf: LinkError });
  t.regex(error?.message ?? '', /\/dev\/gone could not be opened/);
  t.deepEqual(r.gateway.links.map((l) => l.name).sort(), ['ble', 'rs485']);
  t.true(r.link('ble').started, 'the removed link was built and started again');
  t.false(r.link('gone').started);
  t.true(r.hub.isOnline(SUB_A), 'the kept link\'s subdevice never went offline');
  r.link('ble').attach(SUB_C, '1.0.0');
  await until(() => r.hub.isOnline(SUB_C), 'C online over the restored link');
  t.false(r.states.includes('closed'));
});

test('settings change live: a new downlink bound holds from the next message', async (t) => {
  const r = await rig(t, [{ name: 'rs485' }]);
  await r.gateway.start();
  r.link('rs485').attach(SUB_A, '1.0.0');
  await until(() => r.hub.isOnline(SUB_A), 'A online');
  t.is(r.gateway.settings.downlinkQueueLength, 64);
  r.gateway.applySettings({ downlinkQueueLength: 4 });
  for (let i = 0; i < 20; i++) r.hub.pushDownlink(SUB_A, 'data', String(i));
  await r.gateway.service.idle();
  // The first went to the link at once; of the 19 after it, the newest 4 waited.
  t.deepEqual(r.link('rs485').sent.map((s) => Number(new TextDecoder().decode(s.payload))), [0, 16, 17, 18, 19]);
  t.is(r.gateway.service.forwarding.downlinkDropped.queue_full, 15);
});

test('settings change live: a firmware host allowed by a new ota.allowedHosts is fetched from the next job', async (t) => {
  const h = await harness({ ota: { allowedHosts: ['*.cos.example.com'] } });
  t.teardown(() => h.gateway.dispose());
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, h.firmware.addImage('https://fw.example.net/fw.bin', IMAGE, '2.0.0'));
  await until(() => failReports(h.hub, SUB_A).length === 1, 'refused');
  h.gateway.applySettings({ ota: { allowedHosts: ['fw.example.net'] } });
  h.hub.pushFirmwareUpdate(SUB_A, h.firmware.addImage('https://fw.example.net/fw.bin', IMAGE, '3.0.0'));
  await until(() => progressStates(h.hub, SUB_A).includes('version 3.0.0'), 'the newly allowed host fetched');
  t.is(h.gateway.settings.ota.allowedHosts[0], 'fw.example.net');
});

test('settings change live: a higher ota.concurrencyPerLink starts a job waiting for a delivery slot at once; a lower one holds the next job until the running ones finish', async (t) => {
  const h = await harness();
  t.teardown(() => h.gateway.dispose());
  const running = new Set<string>();
  const events: string[] = [];
  let most = 0;
  const releases: Array<() => void> = [];
  const deliver = h.link.deliverFirmware.bind(h.link);
  h.link.deliverFirmware = async (...args): Promise<FirmwareDeliveryResult> => {
    running.add(args[0].deviceName);
    events.push(`start ${args[0].deviceName}`);
    most = Math.max(most, running.size);
    try {
      // Each delivery waits until the test lets it go (or the gateway stops).
      await new Promise<void>((resolve, reject) => {
        releases.push(resolve);
        args[2]?.signal?.addEventListener('abort', () => reject(new CancelledError('delivery')), { once: true });
      });
      return await deliver(...args);
    } finally {
      running.delete(args[0].deviceName);
      events.push(`end ${args[0].deviceName}`);
    }
  };
  await h.gateway.start();
  for (const s of [SUB_A, SUB_B, SUB_C]) h.link.attach(s, '1.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, h.firmware.addImage('https://fw.example.com/a.bin', IMAGE, '2.0.0'));
  h.hub.pushFirmwareUpdate(SUB_B, h.firmware.addImage('https://fw.example.com/b.bin', IMAGE, '2.0.0'));
  await until(() => running.size === 1 && progressStates(h.hub, SUB_B).includes('downloading 100'), 'one delivery running, the other job waiting for its slot');
  t.is(running.size, 1, 'concurrencyPerLink 1 at start');

  h.gateway.applySettings({ ota: { concurrencyPerLink: 2 } });
  await until(() => running.size === 2, 'the waiting job started by the raised limit');

  h.gateway.applySettings({ ota: { concurrencyPerLink: 1 } });
  h.hub.pushFirmwareUpdate(SUB_C, h.firmware.addImage('https://fw.example.com/c.bin', IMAGE, '2.0.0'));
  await until(() => progressStates(h.hub, SUB_C).includes('downloading 100'), 'the third job downloaded');
  // Both running ones finish; at the new limit of 1 the third starts only after the second ended.
  releases.shift()?.();
  releases.shift()?.();
  await until(() => running.has(SUB_C.deviceName), 'the third job started once a slot was free under the new limit');
  releases.shift()?.();
  await until(() => progressStates(h.hub, SUB_C).includes('version 2.0.0'), 'the third job done');
  const at = (event: string): number => events.indexOf(event);
  t.true(at(`start ${SUB_C.deviceName}`) > at('end sensor-a') && at(`start ${SUB_C.deviceName}`) > at('end sensor-b'), events.join(', '));
  t.is(most, 2);
});

test('secrets change live: a bind after applySecrets presents the new secret; a gateway with its own secret store refuses', async (t) => {
  const hub = new FakeHub({ subdevices: [{ subdevice: SUB_B, secret: SECRETS['PRODUCTAAA/sensor-b']! }] });
  const registry = new AdapterRegistry([fakeAdapter('hub', 'memory', () => hub), fakeAdapter('firmware', 'memory', () => new FakeFirmwareStore())]);
  const gateway = await assembleGateway({ hub: { adapter: 'memory' }, firmware: { adapter: 'memory' }, links: [], subdevices: [SUB_B], secrets: {} }, registry, { stateStore: new MemoryStateStore(), env: {} });
  t.teardown(() => gateway.dispose());
  await gateway.start();
  await t.throwsAsync(gateway.service.binding.bind([SUB_B]), { instanceOf: SecretMissingError });
  gateway.applySecrets({ 'PRODUCTAAA/sensor-b': SECRETS['PRODUCTAAA/sensor-b']! });
  t.like((await gateway.service.binding.bind([SUB_B]))[0], { ok: true });
  t.true(hub.isBound(SUB_B));

  const r = await rig(t, []);
  t.throws(() => r.gateway.applySecrets({}), { instanceOf: ConfigError, message: /its own secret store/ });
});

test('links change live: a change cancelled while a new link starts (the gateway is stopping) is undone without the cancelled signal', async (t) => {
  const r = await rig(t, [{ name: 'rs485' }, { name: 'ble' }]);
  await r.gateway.start();
  const stopping = new AbortController();
  const change = r.gateway.applyLinks(r.choices([{ name: 'rs485' }, { name: 'slow', hang: true }]), { signal: stopping.signal, timeoutMs: 60_000 });
  await until(() => r.gateway.links.some((l) => l.name === 'slow') || r.gateway.service.directory.links.some((l) => l.name === 'slow'), 'the new link starting');
  stopping.abort();
  await t.throwsAsync(change, { instanceOf: CancelledError });
  t.deepEqual(r.gateway.links.map((l) => l.name).sort(), ['ble', 'rs485']);
  t.true(r.link('ble').started, 'the removed link runs again, though the change was cancelled');
});
