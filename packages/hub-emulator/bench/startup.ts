// Start-up to ready of the hub emulator (target < 1 s), measured, never asserted in tests.
// Writes ../../bench/results/hub-emulator-startup.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { HubEmulator } from '../src/index.js';

const RUNS = 20;
const secret = Buffer.from('gateway-secret').toString('base64');
const registry = { devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: secret, gateway: true }], bindings: [] };

const dir = await mkdtemp(join(tmpdir(), 'hub-bench-'));
const registryPath = join(dir, 'registry.json');
await writeFile(registryPath, JSON.stringify(registry));
const startMs: number[] = [];
const firstConnectMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  const t1 = process.hrtime.bigint();
  const creds = buildKeyAuth({ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: secret });
  const client = mqtt.connect(hub.urls.mqtt, { clientId: creds.clientId, username: creds.username, password: creds.password, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const t2 = process.hrtime.bigint();
  await client.endAsync();
  await hub.close();
  startMs.push(Number(t1 - t0) / 1e6);
  firstConnectMs.push(Number(t2 - t0) / 1e6);
}
await rm(dir, { recursive: true, force: true });

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { min: +at(0).toFixed(2), median: +at(0.5).toFixed(2), p95: +at(0.95).toFixed(2), max: +(s[s.length - 1] ?? 0).toFixed(2) };
};
const result = {
  bench: 'hub-emulator-startup',
  runs: RUNS,
  note: 'first run includes module warm-up; start = HubEmulator.start() resolved (broker + HTTP listening, registry loaded)',
  firstRunStartMs: +(startMs[0] ?? 0).toFixed(2),
  startMs: stats(startMs),
  startToFirstAuthenticatedConnectMs: stats(firstConnectMs),
  node: process.version,
  at: new Date().toISOString(),
};
const out = join(dirname(fileURLToPath(import.meta.url)), '../../../../bench/results/hub-emulator-startup.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));

// Cold start of the CLI in a fresh node process (module loading included), to the printed URLs.
const { spawnHubCli } = await import('../test/cli-process.js');
const coldMs: number[] = [];
for (let i = 0; i < 5; i++) {
  const { child, readyMs } = await spawnHubCli(['--port', '0', '--http-port', '0']);
  coldMs.push(readyMs);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
const withCold = { ...result, cliColdStartToReadyMs: stats(coldMs) };
await writeFile(out, `${JSON.stringify(withCold, null, 2)}\n`);
console.log('cli cold start to ready (ms):', JSON.stringify(withCold.cliColdStartToReadyMs));
