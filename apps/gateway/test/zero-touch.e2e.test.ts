import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { subdeviceId } from '@iotgw/domain';
import { HubEmulator } from '@iotgw/hub-emulator';
import { serialBench } from '../src/demo/demo-subdevices.js';
import { findSocat } from '../src/demo/socat-pair.js';
import { waitFor } from '../src/demo/wait-for.js';
import { startGatewayProcess } from './helpers/gateway-process.js';

const GW_SECRET = Buffer.from('zero-touch-gateway-secret').toString('base64');
const PRODUCT_SECRET = 'zeroTouchProductSecret42';
const AUTO = subdeviceId('AUTOPRODUC', 'auto-1');

/** The emulator (with a product that allows dynamic registration), and AUTO simulated on a pty that no config lists. */
async function setup(t: ExecutionContext) {
  const socat = findSocat();
  if (!socat) {
    if (process.env.CI === 'true') t.fail('socat is required under CI');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-zero-touch-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(
    registryPath,
    JSON.stringify({
      devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: GW_SECRET, gateway: true }],
      bindings: [],
      products: [{ productId: AUTO.productId, productSecret: PRODUCT_SECRET, dynamicRegistration: true }],
    }),
  );
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  t.teardown(() => hub.close());
  const bench = await serialBench(socat, dir, [AUTO], '1.0.0');
  t.teardown(() => bench.close());
  const mqtt = new URL(hub.urls.mqtt);
  const deviceInfo = { auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: GW_SECRET } };
  const config = {
    hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false },
    // The link lists nobody: AUTO is not declared anywhere.
    links: bench.links.map((l) => ({ ...l, subdevices: [] })),
    dataDir: join(dir, 'data'),
    logLevel: 'debug',
    subdevices: { onAttach: 'register-bind-online', productSecrets: { [AUTO.productId]: { env: 'AUTO_PRODUCT_SECRET' } }, registrationUrl: hub.urls.http },
  };
  return { dir, hub, bench, start: (productSecret: string) => startGatewayProcess(t, dir, deviceInfo, config, { AUTO_PRODUCT_SECRET: productSecret }) };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  return out;
}

test.serial('iotgw start: an undeclared subdevice of a product with dynamic registration attaches, is registered, bound and brought online; its secret kept 0600 and never logged', async (t) => {
  const rig = await setup(t);
  if (!rig) return t.pass('socat missing');
  const gateway = await rig.start(PRODUCT_SECRET);
  rig.bench.subdevices[0]?.powerOn();
  const key = 'AUTOPRODUC/auto-1';
  await waitFor('the new subdevice registered, bound and online', () => rig.hub.registry.isBound('GW00000001/gw1', key) && rig.hub.registry.isOnline(key), { timeoutMs: 60_000 });
  const secret = rig.hub.registry.get(AUTO.productId, AUTO.deviceName)?.deviceSecret ?? '';
  t.true(secret.length > 0);
  t.regex(gateway.output(), /registering it with the platform \(dynamic registration\)/);
  t.false(gateway.output().includes(secret), 'the device secret is not logged');
  t.false(gateway.output().includes(PRODUCT_SECRET), 'the product secret is not logged');
  const kept = await filesUnder(join(rig.dir, 'data', 'state'));
  t.true(kept.length > 0);
  for (const file of kept) t.is((await stat(file)).mode & 0o777, 0o600, file);
  gateway.child.kill('SIGTERM');
  t.is(await gateway.exited, 0);
});

test.serial('iotgw start with a wrong product secret: the registration is refused, the hub answer named, nothing created, no secret in the log', async (t) => {
  const rig = await setup(t);
  if (!rig) return t.pass('socat missing');
  const wrong = 'notTheProductSecret00000';
  const gateway = await rig.start(wrong);
  rig.bench.subdevices[0]?.powerOn();
  await waitFor('the refusal', () => gateway.output().includes('cannot enrol the subdevice'), { timeoutMs: 60_000 });
  t.regex(gateway.output(), /cannot enrol the subdevice: the platform refused to register AUTOPRODUC\/auto-1: AuthFailure\.SignatureFailure: the signature does not match product AUTOPRODUC's secret/);
  t.is(rig.hub.registry.get(AUTO.productId, AUTO.deviceName), undefined);
  t.false(gateway.output().includes(wrong));
  t.false(gateway.output().includes(PRODUCT_SECRET));
  gateway.child.kill('SIGTERM');
  t.is(await gateway.exited, 0);
});
