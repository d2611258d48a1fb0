import test from 'ava';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { spawnHubCli } from './cli-process.js';
import { GW, sampleRegistry } from './helpers.js';

/** Peak resident memory of a process, MB (Linux /proc). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

test('one device sending 10 × 20 MB messages does not balloon the hub process (its peak RSS stays within 100 MB of the start)', async (t) => {
  if (process.platform !== 'linux') {
    t.log('needs /proc: skipped');
    t.pass();
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'hub-rss-'));
  const registry = join(dir, 'registry.json');
  await writeFile(registry, JSON.stringify(sampleRegistry()));
  const hub = await spawnHubCli(['--port', '0', '--http-port', '0', '--registry', registry]);
  t.teardown(async () => {
    if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const url = /MQTT:\s+(mqtt:\/\/\S+)/.exec(hub.output())?.[1] ?? '';
  const pid = hub.child.pid ?? 0;
  const creds = buildKeyAuth(GW);
  const options = { clientId: creds.clientId, username: creds.username, password: creds.password, protocolVersion: 4 as const, reconnectPeriod: 0 };
  // Warm up (a normal connection), then take the baseline.
  await (await mqtt.connectAsync(url, options)).endAsync();
  const before = await peakRssMb(pid);
  const message = Buffer.alloc(20 * 1024 * 1024, 0x41);
  for (let i = 0; i < 10; i += 1) {
    const client = await mqtt.connectAsync(url, options);
    client.on('error', () => undefined);
    const gone = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`message ${i + 1}: the hub took a 20 MB packet and kept the connection open`)), 30_000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.publish('$gateway/operation/GW00000001/gw1', message, { qos: 0 });
    await gone;
    client.end(true);
  }
  const after = await peakRssMb(pid);
  t.log(`hub peak RSS ${before.toFixed(0)} MB → ${after.toFixed(0)} MB after 10 × 20 MB`);
  t.true(after - before < 100, `peak RSS grew ${(after - before).toFixed(0)} MB`);
  t.regex(hub.output(), /packet over the size limit/);
});
