import 'reflect-metadata';
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

test('hub --help prints the options and exits 0; a bad option exits 2', async (t) => {
  const io = capture();
  t.is(await runCli(['hub', '--help'], io), 0);
  t.regex(io.stdout.join('\n'), /--http-port/);
  const bad = capture();
  t.is(await runCli(['hub', '--nope'], bad), 2);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`iotgw hub runs the emulator on free ports and stops cleanly on ${signal}`, async (t) => {
    const child = spawn(process.execPath, [bin, 'hub', '--port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (out += d));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        if (/console: http:\/\/127\.0\.0\.1:\d+/.test(out)) resolve();
      });
      child.once('exit', () => reject(new Error(`exited before ready:\n${out}`)));
    });
    await ready;
    t.regex(out, /MQTT:\s+mqtt:\/\/127\.0\.0\.1:\d+/);
    // 'close', not 'exit': the last lines written before exiting may still be on their way through the pipe.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.kill(signal);
    t.is(await exited, 0, out);
    t.regex(out, /stopping hub emulator/);
  });
}

test('iotgw hub --registry loads the devices of a registry file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-hub-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registry = join(dir, 'registry.json');
  await writeFile(
    registry,
    JSON.stringify({ devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: Buffer.from('x').toString('base64'), gateway: true }], bindings: [] }),
  );
  const child = spawn(process.execPath, [bin, 'hub', '--port', '0', '--http-port', '0', '--registry', registry], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  // The console URL printed at start carries the admin token the API wants.
  const consoleUrl = await new Promise<URL>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /console:\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m?.[1]) resolve(new URL(m[1]));
    });
    child.once('exit', () => reject(new Error(`exited before ready:\n${out}`)));
  });
  const devices = await (await fetch(new URL('/api/devices', consoleUrl), { headers: { authorization: `Bearer ${consoleUrl.searchParams.get('token')}` } })).text();
  t.regex(devices, /GW00000001/);
  // 'close', not 'exit': the last lines written before exiting may still be on their way through the pipe.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0, out);
});

/** Runs `iotgw hub` with these flags to its exit; stdout and stderr kept apart. */
async function hubExit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'hub', '--port', '0', '--http-port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A safety net only (these runs exit 2 at once): generous, as a loaded box takes seconds to load the CLI.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  // 'close', not 'exit': the lines written just before exiting may still be in the pipe (CI once saw code 2 with an empty stderr).
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(killer);
  return { code, stdout, stderr };
}

test('iotgw hub --registry device_info.json exits 2 naming the file and the registry shape, and leaves the file alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-hub-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'device_info.json');
  const vendor = JSON.stringify({ auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' } });
  await writeFile(file, vendor);
  const run = await hubExit(['--registry', file]);
  t.is(run.code, 2, run.stderr);
  t.regex(run.stderr, /^iotgw hub: .*device_info\.json is not a hub emulator registry.*expected \{"devices":\[\.\.\.\],"bindings":\[\.\.\.\]\}/m);
  t.notRegex(run.stderr, /c2VjcmV0/);
  t.notRegex(run.stderr, /^\s+at /m);
  t.is(await readFile(file, 'utf8'), vendor);
});

test('iotgw hub --registry in a missing directory exits 2 at start', async (t) => {
  const run = await hubExit(['--registry', '/nonexistent/dir/x.json']);
  t.is(run.code, 2, run.stderr);
  t.regex(run.stderr, /its directory \/nonexistent\/dir does not exist/);
  t.notRegex(run.stdout, /ready/);
});

test('iotgw hub prints refused connections and ACL denials on stderr, stdout keeping only the ready lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-hub-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const gw = { productId: 'GW00000001', deviceName: 'gw1', deviceSecret: Buffer.from('gw-secret').toString('base64') };
  const registry = join(dir, 'registry.json');
  await writeFile(registry, JSON.stringify({ devices: [{ ...gw, gateway: true }], bindings: [] }));
  const child = spawn(process.execPath, [bin, 'hub', '--port', '0', '--http-port', '0', '--registry', registry], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const mqttUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /MQTT:\s+(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m?.[1] && stdout.includes('console:')) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`exited before ready:\n${stdout}${stderr}`)));
  });
  const options = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 } as const;
  const wrong = buildKeyAuth({ ...gw, deviceSecret: Buffer.from('not-it').toString('base64') });
  const refused = mqtt.connect(mqttUrl, { ...options, ...wrong });
  await new Promise<void>((resolve) => refused.once('error', () => resolve()));
  await refused.endAsync(true);
  const client = mqtt.connect(mqttUrl, { ...options, ...buildKeyAuth(gw) });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync('SB00000001/other/data').catch(() => undefined);
  await client.endAsync(true);
  // 'close', not 'exit': the last lines written before exiting may still be on their way through the pipe.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
  t.regex(stderr, /^\S+ warn  MQTT auth refused clientId=GW00000001gw1 reason="password signature does not match"$/m);
  t.regex(stderr, /^\S+ warn  ACL denied device=GW00000001\/gw1 action=subscribe topic=SB00000001\/other\/data reason=.*not bound/m);
  for (const secret of [gw.deviceSecret, wrong.password]) t.false(stderr.includes(secret));
  t.notRegex(stdout, /denied|refused/);
});
