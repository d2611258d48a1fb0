import 'reflect-metadata';
import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubEmulator } from '@iotgw/hub-emulator';
import { subdeviceId } from '@iotgw/domain';
import { runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';
import { serialBench } from '../src/demo/demo-subdevices.js';
import { findSocat } from '../src/demo/socat-pair.js';
import { waitFor } from '../src/demo/wait-for.js';

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));
const GW_SECRET = Buffer.from('start-gateway-secret').toString('base64');
const S1_SECRET = Buffer.from('start-sensor1-secret').toString('base64');

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-start-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const deviceInfo = { auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: GW_SECRET } };

test('start: a bad config exits 2 naming the field and the fix, with no stack trace, before connecting', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'device_info.json'), JSON.stringify(deviceInfo));
  await writeFile(join(dir, 'iotgw.json'), JSON.stringify({ hub: { port: 99999 }, links: [{ adapter: 'serial' }] }));
  const io = capture();
  t.is(await runCli(['start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], io), 2);
  const err = io.stderr.join('\n');
  t.regex(err, /hub\.port/);
  t.regex(err, /links\.0\.path/);
  t.notRegex(err, /\n\s+at /);
});

test('start: a missing file or flag exits 2 with a clear message', async (t) => {
  const missing = capture();
  t.is(await runCli(['start', '--device-info', '/nonexistent/device_info.json'], missing), 2);
  t.regex(missing.stderr.join('\n'), /--device-info: cannot read \/nonexistent\/device_info\.json: ENOENT/);
  const noFlag = capture();
  t.is(await runCli(['start'], noFlag), 2);
  t.regex(noFlag.stderr.join('\n'), /^iotgw start: required option '--device-info <file>' not specified/);
  const badInfo = capture();
  const dir = await tempDir(t);
  await writeFile(join(dir, 'device_info.json'), JSON.stringify({ ...deviceInfo, key_deviceinfo: { deviceSecret: 'YOUR_SECRET' } }));
  t.is(await runCli(['start', '--device-info', join(dir, 'device_info.json')], badInfo), 2);
  t.regex(badInfo.stderr.join('\n'), /key_deviceinfo\.deviceSecret/);
});

test('start: a data dir that cannot be created or written exits 2 naming dataDir, the path and the fix, before connecting', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'device_info.json'), JSON.stringify(deviceInfo));
  await writeFile(join(dir, 'a-file'), 'not a directory');
  // Tests run as root, which may write almost anywhere: a file as parent and procfs still refuse.
  for (const dataDir of [join(dir, 'a-file', 'data'), '/proc/iotgw-no-such-dir']) {
    // Nothing listens on port 1: a gateway that got as far as connecting would not exit 2.
    await writeFile(join(dir, 'iotgw.json'), JSON.stringify({ hub: { host: '127.0.0.1', port: 1, tls: false }, dataDir }));
    const io = capture();
    t.is(await runCli(['start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], io), 2, dataDir);
    const err = io.stderr.join('\n');
    t.true(err.includes(`dataDir: cannot create or write ${dataDir}:`), err);
    t.true(err.includes(`set "dataDir" in ${join(dir, 'iotgw.json')} to a directory this user can write`), err);
    t.notRegex(err, /\n\s+at /);
    t.deepEqual(io.stdout, []);
  }
});

test('start: a control port already in use exits 2 naming control.port and the fix, with no stack trace, before connecting', async (t) => {
  const dir = await tempDir(t);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const port = (taken.address() as AddressInfo).port;
  await writeFile(join(dir, 'device_info.json'), JSON.stringify(deviceInfo));
  // Nothing listens on port 1: a gateway that tried to connect first would wait for the hub, not exit 2.
  await writeFile(join(dir, 'iotgw.json'), JSON.stringify({ hub: { host: '127.0.0.1', port: 1, tls: false }, dataDir: join(dir, 'data'), control: { port } }));
  const io = capture();
  const ac = new AbortController();
  const guard = setTimeout(() => ac.abort(new Error('still running after 30 s')), 30_000);
  const code = await runCli(['start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], io, ac.signal);
  clearTimeout(guard);
  const err = io.stderr.join('\n');
  t.is(code, 2, err);
  t.true(err.includes(`iotgw start: control.port: 127.0.0.1:${port} is already in use (is another "iotgw start" running?): choose a free port, or 0 for any`), err);
  t.notRegex(err, /\n\s+at |unexpected error/);
  t.deepEqual(io.stdout, []);
});

test.serial('start: a data dir that stops taking writes while running (now procfs) neither spins nor hangs the stop', async (t) => {
  const dir = await tempDir(t);
  const registryPath = join(dir, 'registry.json');
  await writeFile(registryPath, JSON.stringify({ devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: GW_SECRET, gateway: true }] }));
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
  t.teardown(() => hub.close());
  const mqtt = new URL(hub.urls.mqtt);
  await mkdir(join(dir, 'disk'));
  const dataDir = join(dir, 'data');
  await symlink(join(dir, 'disk'), dataDir);
  await writeFile(join(dir, 'device_info.json'), JSON.stringify(deviceInfo));
  await writeFile(
    join(dir, 'iotgw.json'),
    JSON.stringify({ hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false }, dataDir, logLevel: 'warn', control: { port: 0 } }),
  );
  const child = spawn(process.execPath, [bin, 'start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('the gateway to say it runs', () => out.includes('running with 0 link(s)') || child.exitCode !== null, { timeoutMs: 20_000 });
  t.is(child.exitCode, null, out);
  // The mount goes away under the gateway: its stop must still complete (the offline store writes
  // through the file it has open; nothing new can be created there).
  await rm(dataDir);
  await symlink('/proc', dataDir);
  child.kill('SIGTERM');
  await waitFor('the gateway to exit', () => child.exitCode !== null, { timeoutMs: 20_000 }).catch(() => {});
  t.is(child.exitCode, 0, out);
  t.regex(out, /iotgw: stopped/);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test.serial(`start: runs until ${signal}, then takes its subdevices offline and exits 0`, async (t) => {
    const socat = findSocat();
    if (!socat) {
      if (process.env.CI === 'true') t.fail('socat is required under CI');
      return t.pass('socat not installed');
    }
    const dir = await tempDir(t);
    const sensor1 = subdeviceId('SB00000001', 'sensor1');
    const registryPath = join(dir, 'registry.json');
    await writeFile(
      registryPath,
      JSON.stringify({
        devices: [
          { productId: 'GW00000001', deviceName: 'gw1', deviceSecret: GW_SECRET, gateway: true },
          { productId: 'SB00000001', deviceName: 'sensor1', deviceSecret: S1_SECRET },
        ],
        bindings: [{ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/sensor1' }],
      }),
    );
    const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath });
    t.teardown(() => hub.close());
    const bench = await serialBench(socat, dir, [sensor1], '1.0.0');
    t.teardown(() => bench.close());
    const mqtt = new URL(hub.urls.mqtt);
    await writeFile(join(dir, 'device_info.json'), JSON.stringify({ ...deviceInfo, subDev: { subdev_list: [{ sub_productId: 'SB00000001', sub_devName: 'sensor1' }] } }));
    await writeFile(
      join(dir, 'iotgw.json'),
      JSON.stringify({
        hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false },
        links: bench.links,
        dataDir: join(dir, 'data'),
        // One variant logs everything, to check that no secret reaches the log.
        logLevel: signal === 'SIGINT' ? 'debug' : 'warn',
        secrets: { 'SB00000001/sensor1': { env: 'START_TEST_S1_SECRET' } },
        control: { port: 0 },
      }),
    );
    const child = spawn(process.execPath, [bin, 'start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, START_TEST_S1_SECRET: S1_SECRET },
    });
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor('the gateway to say it runs', () => out.includes('running with 1 link(s)') || child.exitCode !== null, { timeoutMs: 20_000 });
    t.is(child.exitCode, null, out);
    bench.subdevices[0]?.powerOn();
    await waitFor('sensor1 online at the hub', () => hub.isOnline('SB00000001', 'sensor1'), { timeoutMs: 20_000 });
    // The health and metrics endpoint tells the same story as the emulator.
    const control = /control, health and metrics: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    const health = await fetch(`${control}/health`);
    t.is(health.status, 200);
    t.like(await health.json(), { status: 'ok', hub: 'connected' });
    // The gateway applies the hub's answer a moment after the emulator records it: poll.
    let metrics = '';
    for (let i = 0; i < 100 && !/^iotgw_subdevices\{state="online"\} 1$/m.test(metrics); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(`${control}/metrics`)).text();
    }
    t.regex(metrics, /^iotgw_hub_connected 1$/m);
    t.regex(metrics, /^iotgw_subdevices\{state="online"\} 1$/m);
    t.regex(metrics, /^iotgw_subdevices_attached 1$/m);
    t.regex(metrics, /^iotgw_uplink_backlog 0$/m);
    t.regex(metrics, /^iotgw_uplink_store_degraded 0$/m);
    child.kill(signal);
    t.is(await exited, 0, out);
    t.false(hub.isOnline('SB00000001', 'sensor1'), 'sensor1 still online at the hub');
    // The gateway asked for it (the hub would also drop it on disconnect, which proves nothing).
    const offline = hub.core.messages.find((m) => m.direction === 'up' && /"type"\s*:\s*"offline"/.test(m.payload));
    t.truthy(offline, JSON.stringify(hub.core.messages.filter((m) => m.direction === 'up')));
    t.regex(offline?.payload ?? '', /sensor1/);
    t.regex(out, /taking subdevices offline/);
    t.regex(out, /iotgw: stopped/);
    if (signal === 'SIGINT') t.regex(out, /"level":"debug"/, 'debug lines expected (JSON, stdout is not a TTY)');
    t.false(out.includes(GW_SECRET), 'the gateway secret reached the output');
    t.false(out.includes(S1_SECRET), 'a subdevice secret reached the output');
  });
}
