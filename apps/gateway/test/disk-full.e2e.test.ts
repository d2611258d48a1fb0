import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { waitFor } from '../src/demo/wait-for.js';
import { GATEWAY, SENSOR1, secretOf, startRig } from './helpers/rig.js';

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));

/** A tiny tmpfs we can fill; undefined where mounting is not allowed (not root, a locked-down container). */
function mountTmpfs(dir: string, size: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]).status === 0;
}

async function fill(dir: string): Promise<void> {
  const chunk = Buffer.alloc(4096, 1);
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(dir, `filler-${i}`), chunk);
    } catch {
      return; // ENOSPC: full
    }
  }
}

test.serial('iotgw start on a full data dir runs degraded: connected to the hub, /health 503 naming ENOSPC, healthy again when space comes back', async (t) => {
  const rig = await startRig(t, { memory: true, bindings: [SENSOR1] });
  const dataDir = join(rig.dir, 'full-disk');
  await mkdir(dataDir);
  if (!mountTmpfs(dataDir, '256k')) {
    if (process.env['CI'] === 'true') t.fail('mounting a tmpfs is needed for this test under CI (root)');
    return t.pass('cannot mount a tmpfs here');
  }
  t.teardown(() => void spawnSync('umount', ['-l', dataDir]));
  await fill(dataDir);
  const mqtt = new URL(rig.hub.urls.mqtt);
  await writeFile(
    join(rig.dir, 'device_info.json'),
    JSON.stringify({ auth_mode: 'KEY', productId: GATEWAY.productId, deviceName: GATEWAY.deviceName, key_deviceinfo: { deviceSecret: secretOf(GATEWAY) } }),
  );
  await writeFile(
    join(rig.dir, 'iotgw.json'),
    JSON.stringify({ hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false }, dataDir, logLevel: 'warn', control: { port: 0 } }),
  );
  const child = spawn(process.execPath, [bin, 'start', '--device-info', join(rig.dir, 'device_info.json'), '--config', join(rig.dir, 'iotgw.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('the gateway to say it runs', () => out.includes('running with') || child.exitCode !== null, { timeoutMs: 30_000 });
  t.is(child.exitCode, null, out);
  t.regex(out, /WARNING: dataDir .* is full \(ENOSPC\): starting degraded/);
  const control = /control, health and metrics: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
  const health = async (): Promise<{ status: number; body: { status: string; hub: string; problems?: string[] } }> => {
    const res = await fetch(`${control}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; hub: string; problems?: string[] } };
  };
  let seen = await health();
  for (let i = 0; i < 100 && !seen.body.problems; i++) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await health();
  }
  t.is(seen.status, 503);
  t.is(seen.body.hub, 'connected', 'the hub connection does not depend on the disk');
  t.regex(seen.body.problems?.[0] ?? '', /offline store cannot write \(ENOSPC\)/);
  t.false((await readdir(dataDir)).some((n) => n.includes('probe')), 'no probe file left behind');

  // Space comes back: the store writes again and the gateway is healthy.
  for (const name of await readdir(dataDir)) if (name.startsWith('filler-')) await rm(join(dataDir, name));
  for (let i = 0; i < 100 && seen.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await health();
  }
  t.is(seen.status, 200, JSON.stringify(seen.body));
  child.kill('SIGTERM');
  await waitFor('the gateway to exit', () => child.exitCode !== null, { timeoutMs: 20_000 });
  t.is(child.exitCode, 0, out);
});
