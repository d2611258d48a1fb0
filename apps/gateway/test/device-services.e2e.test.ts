import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEmulator } from '@iotgw/hub-emulator';
import { startGatewayProcess } from './helpers/gateway-process.js';
import { waitFor } from '../src/demo/wait-for.js';

const GW = 'GW00000001/gw1';
const GW_SECRET = Buffer.from('device-services-gateway-secret').toString('base64');
const DEVICE_INFO = { auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: GW_SECRET } };

async function rig(t: import('ava').ExecutionContext) {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-services-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify({ devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: GW_SECRET, gateway: true }], bindings: [] }));
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  t.teardown(() => hub.close());
  const mqtt = new URL(hub.urls.mqtt);
  const config = {
    hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false },
    dataDir: join(dir, 'data'),
    logLevel: 'info',
    control: { port: 0 },
    deviceServices: { logUpload: { url: `${hub.urls.http}/device/reportlog`, intervalSec: 1 }, remoteConfig: { healthyWithinSec: 4 } },
  };
  const events = (): Array<{ type: string; result: number; message: string }> =>
    hub.core.messages.filter((m) => m.direction === 'up' && m.topic === 'GW00000001/gw1/event').map((m) => JSON.parse(m.payload) as { type: string; result: number; message: string });
  return { dir, hub, config, events, start: () => startGatewayProcess(t, dir, DEVICE_INFO, config) };
}

test.serial('logs from afar: lines at the level the console sets reach the hub, signed, with no secret; a bad pushed config is refused and reported', async (t) => {
  const r = await rig(t);
  const gw = await r.start();
  await waitFor('the gateway to ask for its config and log level', () => r.hub.core.messages.filter((m) => m.topic.startsWith('$config/operation/GW') || m.topic.startsWith('$log/operation/GW')).length >= 2, { timeoutMs: 30_000 });
  await r.hub.core.services.setLogLevel(GW, 'warn');
  await r.hub.core.services.pushConfig(GW, { ...r.config, logLevel: 'loud', secrets: { 'SB00000001/x': { env: 'NOPE' } } });
  await waitFor('the refusal reported on the event topic', () => r.events().some((e) => e.type === 'config_result' && e.result === 1), { timeoutMs: 30_000 });
  t.regex(r.events().find((e) => e.result === 1)?.message ?? '', /logLevel/);
  await waitFor('the refusal uploaded as a log line', () => r.hub.core.services.uploadedLogs.items.some((l) => l.device === GW && /refused, nothing applied/.test(l.line)), { timeoutMs: 15_000 });
  const uploaded = r.hub.core.services.uploadedLogs.items.map((l) => l.line).join('\n');
  t.false(uploaded.includes(GW_SECRET));
  t.false(/\|INF\||\|DBG\|/.test(uploaded), 'nothing below warn');
  gw.child.kill('SIGTERM');
  t.is(await gw.exited, 0);
});

test.serial('remote config: a pushed change that needs a restart is saved, the gateway restarts on it (75) and keeps it once healthy', async (t) => {
  const r = await rig(t);
  const first = await r.start();
  // Link-local firmware sources are the firmware store's guard, built at start: a change of it waits for a restart.
  await r.hub.core.services.pushConfig(GW, { ...r.config, logLevel: 'debug', ota: { allowLinkLocal: true } });
  t.is(await first.exited, 75, first.output());
  t.regex(first.output(), /stopping to restart: the configuration from the hub changed ota/);
  t.like(r.events().at(-1), { type: 'config_result', result: 0 });
  t.regex(r.events().at(-1)?.message ?? '', /logLevel applied now; ota take effect at a restart/);
  const second = await r.start();
  t.regex(second.output(), /running on the configuration the hub pushed \(received .*, on probation\)/);
  await waitFor('the pushed config to be kept', () => /came up healthy: kept/.test(second.output()), { timeoutMs: 30_000 });
  second.child.kill('SIGTERM');
  t.is(await second.exited, 0);
});

test.serial('remote config: a pushed document that leaves out an optional section the gateway runs with is a change (restart), not "no change"', async (t) => {
  const r = await rig(t);
  const gw = await startGatewayProcess(t, r.dir, DEVICE_INFO, { ...r.config, subdevices: { onAttach: 'ignore' } });
  await r.hub.core.services.pushConfig(GW, r.config);
  t.is(await gw.exited, 75, gw.output());
  t.regex(gw.output(), /stopping to restart: the configuration from the hub changed subdevices/);
  t.like(r.events().at(-1), { type: 'config_result', result: 0, message: 'subdevices take effect at a restart' });
});

test.serial('remote config: a pushed config on which the hub cannot be reached is rolled back, and the gateway comes back on its file', async (t) => {
  const r = await rig(t);
  const first = await r.start();
  // A valid document that points the gateway at a port where nothing listens.
  await r.hub.core.services.pushConfig(GW, { ...r.config, hub: { ...r.config.hub, port: 9 } });
  t.is(await first.exited, 75, first.output());
  const second = await r.start();
  t.regex(second.output(), /on probation/);
  t.is(await second.exited, 75, second.output());
  t.regex(second.output(), /is rolled back: the hub was not reached within 4 s/);
  const third = await r.start();
  t.notRegex(third.output(), /running on the configuration the hub pushed/);
  await waitFor('the gateway back on the hub', () => r.hub.registry.isOnline(GW), { timeoutMs: 15_000 });
  // The hub still holds that document and answers it again: refused, not another restart loop.
  await waitFor('the held document refused', () => r.events().some((e) => e.result === 1 && /was rolled back at/.test(e.message)), { timeoutMs: 30_000 });
  third.child.kill('SIGTERM');
  t.is(await third.exited, 0);
});
