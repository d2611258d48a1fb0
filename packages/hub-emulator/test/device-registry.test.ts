import test from 'ava';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRegistry, HubEmulator, parseRegistry } from '../src/index.js';
import { sampleRegistry } from './helpers.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-reg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a missing file is an empty registry, created atomically on the first change', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'registry.json');
  const registry = await DeviceRegistry.open(path);
  t.deepEqual(registry.toJSON(), { devices: [], bindings: [] });
  await registry.addDevice({ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: 'c2VjcmV0', gateway: true });
  await registry.addDevice({ productId: 'SB00000001', deviceName: 's1', deviceSecret: 'c2VjcmV0' });
  await registry.bind('GW00000001/gw1', 'SB00000001/s1');
  const onDisk = JSON.parse(await readFile(path, 'utf8'));
  t.deepEqual(onDisk.bindings, [{ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/s1' }]);
  t.deepEqual(await readdir(dir), ['registry.json']);
  // It holds device secrets: owner only, whatever the umask.
  t.is((await stat(path)).mode & 0o777, 0o600);
});

test('the registry is reloaded on start: bindings made before a restart are still there', async (t) => {
  const dir = await tempDir(t);
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify(sampleRegistry()));
  const first = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  await first.core.consoleBind({ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/test2' });
  await first.close();
  const second = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  try {
    t.true(second.registry.isBound('GW00000001/gw1', 'SB00000001/test2'));
    t.deepEqual(second.registry.listOnline(), []);
  } finally {
    await second.close();
  }
});

test('binding a subdevice to another gateway moves it (one gateway per subdevice)', async (t) => {
  const registry = new DeviceRegistry();
  registry.load(sampleRegistry());
  t.true(await registry.bind('GW00000002/gw2', 'SB00000001/test1'));
  t.is(registry.gatewayOf('SB00000001/test1'), 'GW00000002/gw2');
  t.false(await registry.bind('GW00000002/gw2', 'SB00000001/test1'));
  await t.throwsAsync(registry.bind('GW00000002/gw2', 'SB00000001/none'), { message: /not in the registry/ });
});

test('malformed registry files are refused with a message naming the problem', async (t) => {
  t.throws(() => parseRegistry('{'), { message: /not valid JSON/ });
  t.throws(() => parseRegistry('{"devices":[{"productId":"X"}]}'), { message: /devices\[0\]/ });
  t.throws(() => parseRegistry('{"devices":[],"bindings":[{"gateway":1}]}'), { message: /bindings\[0\]/ });
  const dir = await tempDir(t);
  const path = join(dir, 'bad.json');
  await writeFile(path, 'not json');
  await t.throwsAsync(HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath: path }), { code: 'validation.invalid' });
});

test('a registry with a bad JSON value says line and column, never the text around it (it may be a secret)', async (t) => {
  const secret = 'U1VQRVJTRUNSRVRWQUxVRQ';
  // A secret pasted without quotes, and one cut short by a missing quote: V8 quotes both.
  const unquoted = `{"devices":[\n  {"productId":"SB00000001","deviceName":"x","deviceSecret":${secret}}\n]}`;
  const error = t.throws(() => parseRegistry(unquoted, 'registry.json'));
  t.regex(error?.message ?? '', /^registry\.json is not valid JSON \(Unexpected token at line 2, column \d+\)$/);
  t.false((error?.message ?? '').includes('U1VQ'), error?.message);
  t.is(error?.cause, undefined, 'no cause holding the quote');
  const cut = `{"devices":[{"productId":"SB00000001","deviceName":"x","deviceSecret":"${secret}}]}`;
  const second = t.throws(() => parseRegistry(cut, 'registry.json'));
  t.false((second?.message ?? '').includes('U1VQ'), second?.message);
  t.regex(second?.message ?? '', /line 1, column \d+/);
  const dir = await tempDir(t);
  const path = join(dir, 'registry.json');
  await writeFile(path, unquoted);
  const atStart = await t.throwsAsync(HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath: path }));
  t.false((atStart?.message ?? '').includes('U1VQ'), atStart?.message);
  t.regex(atStart?.message ?? '', /line 2, column/);
});

test('a file that is not a registry is refused, naming the file and the expected shape, and left as it was', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'device_info.json');
  const vendor = JSON.stringify({ auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: 'c2VjcmV0' } });
  await writeFile(path, vendor);
  const error = await t.throwsAsync(DeviceRegistry.open(path), { code: 'validation.invalid' });
  t.true(error.message.includes(path), error.message);
  t.regex(error.message, /not a hub emulator registry \(it looks like a vendor device_info\.json/);
  t.true(error.message.includes('{"devices":[...],"bindings":[...]}'), error.message);
  t.false(error.message.includes('c2VjcmV0'), 'no secret in the error');
  await t.throwsAsync(HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath: path }), { code: 'validation.invalid' });
  t.is(await readFile(path, 'utf8'), vendor);
});

test('the registry shape is checked: an object with a devices array and a bindings array (may be left out), nothing else', (t) => {
  t.throws(() => parseRegistry('[]'), { message: /must be a JSON object \{"devices":\[\.\.\.\],"bindings":\[\.\.\.\]\}/ });
  t.throws(() => parseRegistry('{}'), { message: /"devices" must be an array/ });
  t.throws(() => parseRegistry('{"devices":{}}'), { message: /"devices" must be an array/ });
  t.throws(() => parseRegistry('{"devices":[],"bindings":{}}'), { message: /"bindings" must be an array, \[\] when nothing is bound/ });
  t.deepEqual(parseRegistry('{"devices":[]}'), { devices: [], bindings: [] });
  t.throws(() => parseRegistry('{"devices":[],"bindings":[],"gateways":[]}'), { message: /found field\(s\) "gateways"/ });
  t.deepEqual(parseRegistry('{"devices":[],"bindings":[]}'), { devices: [], bindings: [] });
});

test('device entries of a registry file are checked like added devices, without echoing the secret', (t) => {
  const entry = (d: object) => JSON.stringify({ devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: 'c2VjcmV0', ...d }], bindings: [] });
  t.throws(() => parseRegistry(entry({ deviceSecret: 'not base64 !!' }), 'reg.json'), { message: /^reg\.json: devices\[0\]: deviceSecret is not base64/ });
  t.throws(() => parseRegistry(entry({ productId: 'gw' })), { message: /devices\[0\]: product id "gw" is not valid/ });
  const error = t.throws(() => parseRegistry(entry({ deviceSecret: 'hunter 2' })));
  t.false(error.message.includes('hunter'));
});

test('a registry whose directory does not exist is refused at open, not at the first change', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'missing', 'registry.json');
  const error = await t.throwsAsync(DeviceRegistry.open(path), { code: 'validation.invalid' });
  t.regex(error.message, /its directory .*missing does not exist: create it/);
  const file = join(dir, 'file');
  await writeFile(file, '');
  await t.throwsAsync(DeviceRegistry.open(join(file, 'registry.json')), { message: /its directory .*file is not a directory/ });
});
