import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { runHubCli, type HubEmulator } from '../src/index.js';
import { GW, GW2, sampleRegistry, subscribeCodes } from './helpers.js';
import { spawnHubCli } from './cli-process.js';

test('--help documents every option and exits 0', async (t) => {
  const out: string[] = [];
  t.is(await runHubCli(['--help'], { stdout: (l) => out.push(l), stderr: () => undefined }), 0);
  for (const option of ['--port', '--http-port', '--tls-port', '--ws-port', '--host', '--registry', '--broker', '--token', '--firmware-dir', '--max-packet-bytes', '--log-level', '--help', 'IOTGW_HUB_TOKEN']) {
    t.true(out.join('\n').includes(option), option);
  }
});

test('an unknown option or a bad port is a usage error', async (t) => {
  const err: string[] = [];
  t.is(await runHubCli(['--nope'], { stdout: () => undefined, stderr: (l) => err.push(l) }), 2);
  t.is(await runHubCli(['--port', 'x'], { stdout: () => undefined, stderr: (l) => err.push(l) }), 2);
  t.regex(err.join('\n'), /--port must be a port number/);
});

test('prints the MQTT, HTTP and console URLs, serves, and stops cleanly when told to', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hub-cli-'));
  try {
    const registry = join(dir, 'registry.json');
    await writeFile(registry, JSON.stringify(sampleRegistry()));
    let stop!: () => void;
    const untilStopped = new Promise<void>((resolve) => (stop = resolve));
    const out: string[] = [];
    let hub: HubEmulator | undefined;
    let onReady!: () => void;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    const running = runHubCli(['--port', '0', '--http-port', '0', '--registry', registry], {
      stdout: (l) => out.push(l),
      stderr: (l) => out.push(l),
      untilStopped,
      onReady: (h) => {
        hub = h;
        onReady();
      },
    });
    await ready;
    const text = out.join('\n');
    t.regex(text, /MQTT: +mqtt:\/\/127\.0\.0\.1:\d+/);
    t.regex(text, /HTTP: +http:\/\/127\.0\.0\.1:\d+/);
    t.regex(text, /console: +http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/m);
    t.true(text.includes(`console: ${hub!.urls.console}`));
    t.is((await fetch(`${hub!.urls.http}/api/devices`)).status, 401, 'the API needs the token');
    const res = await fetch(`${hub!.urls.http}/api/devices`, { headers: { authorization: `Bearer ${hub!.adminToken}` } });
    t.is(((await res.json()) as any).devices.length, 4);
    stop();
    t.is(await running, 0);
    await t.throwsAsync(fetch(`${hub!.urls.http}/api/devices`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('in a real process: ready output, then SIGTERM and SIGINT each stop it cleanly with exit 0', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { child, output } = await spawnHubCli(['--port', '0', '--http-port', '0']);
    const consoleUrl = new URL(/console: +(\S+)/.exec(output())![1]!);
    t.is((await fetch(new URL('/api/devices', consoleUrl), { headers: { authorization: `Bearer ${consoleUrl.searchParams.get('token')}` } })).status, 200);
    // 'close', not 'exit': the stop line may still be in the pipe when the process is gone.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.kill(signal);
    t.is(await exited, 0, output());
    t.regex(output(), /stopping hub emulator/);
  }
});

/** Runs the CLI in-process until it is ready; `stop` plays the signal, `running` is its exit code. */
async function runUntilReady(args: string[]): Promise<{ output: () => string; errors: () => string; hub: () => HubEmulator; stop: () => void; running: Promise<number> }> {
  let stop!: () => void;
  const untilStopped = new Promise<void>((resolve) => (stop = resolve));
  const out: string[] = [];
  const err: string[] = [];
  let hub: HubEmulator | undefined;
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const stderr = (l: string): void => {
    out.push(l);
    err.push(l);
  };
  const running = runHubCli(args, {
    stdout: (l) => out.push(l),
    stderr,
    untilStopped,
    onReady: (h) => {
      hub = h;
      onReady();
    },
  });
  await Promise.race([ready, running]);
  return { output: () => out.join('\n'), errors: () => err.join('\n'), hub: () => hub!, stop, running };
}

test('--tls-port prints an mqtts URL and a CA file, removed on stop', async (t) => {
  const { output, stop, running } = await runUntilReady(['--port', '0', '--http-port', '0', '--tls-port', '0']);
  const match = /MQTTS: +mqtts:\/\/127\.0\.0\.1:\d+ \(CA: (\S+)\)/.exec(output());
  t.truthy(match, output());
  t.true(existsSync(match![1]!));
  stop();
  t.is(await running, 0);
  t.false(existsSync(match![1]!));
});

test('--ws-port prints the websocket URL; a bad --ws-port is a usage error', async (t) => {
  const { output, stop, running } = await runUntilReady(['--port', '0', '--http-port', '0', '--ws-port', '0']);
  t.regex(output(), /MQTT\/WS: +ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
  stop();
  t.is(await running, 0);
  const errors: string[] = [];
  t.is(await runHubCli(['--ws-port', 'x'], { stdout: () => undefined, stderr: (l) => errors.push(l), untilStopped: Promise.resolve() }), 2);
  t.regex(errors.join('\n'), /--ws-port must be a port number/);
});

test('--registry naming a vendor device_info.json is refused with exit 2 and the file is left as it was', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hub-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'device_info.json');
  const vendor = JSON.stringify({ auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: GW.deviceSecret } });
  await writeFile(file, vendor);
  const err: string[] = [];
  t.is(await runHubCli(['--port', '0', '--http-port', '0', '--registry', file], { stdout: () => undefined, stderr: (l) => err.push(l), untilStopped: Promise.resolve() }), 2);
  t.regex(err.join('\n'), /device_info\.json is not a hub emulator registry.*expected \{"devices":\[\.\.\.\],"bindings":\[\.\.\.\]\}/);
  t.false(err.join('\n').includes(GW.deviceSecret));
  t.is(await readFile(file, 'utf8'), vendor);
});

test('--registry in a directory that does not exist is refused at start with exit 2', async (t) => {
  const err: string[] = [];
  const code = await runHubCli(['--port', '0', '--http-port', '0', '--registry', '/nonexistent/dir/x.json'], { stdout: () => undefined, stderr: (l) => err.push(l), untilStopped: Promise.resolve() });
  t.is(code, 2);
  t.regex(err.join('\n'), /registry file \/nonexistent\/dir\/x\.json: its directory \/nonexistent\/dir does not exist/);
});

test('refused connections and ACL denials are printed on stderr at warn by default, without secrets; ready output unchanged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hub-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registry = join(dir, 'registry.json');
  await writeFile(registry, JSON.stringify(sampleRegistry()));
  const { output, errors, hub, stop, running } = await runUntilReady(['--port', '0', '--http-port', '0', '--registry', registry]);
  t.is(errors(), '', 'nothing on stderr before anything is refused');
  t.regex(output(), /^hub emulator ready in \d+ ms\nMQTT: +mqtt:\S+\nHTTP: +http:\S+\ntoken: +[\w-]{32} \(admin API: "Authorization: Bearer <token>"\)\nconsole: +http:\S+\?token=[\w-]{32}$/);
  const url = hub().urls.mqtt;
  const options = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 } as const;
  const wrong = buildKeyAuth({ ...GW, deviceSecret: Buffer.from('wrong').toString('base64') });
  const refused = mqtt.connect(url, { ...options, ...wrong });
  await new Promise<void>((resolve) => refused.once('error', () => resolve()));
  await refused.endAsync(true);
  const gw2 = mqtt.connect(url, { ...options, ...buildKeyAuth(GW2) });
  await new Promise<void>((resolve, reject) => {
    gw2.once('connect', () => resolve());
    gw2.once('error', reject);
  });
  t.deepEqual(await subscribeCodes(gw2, ['SB00000001/test1/data']), [128]);
  await gw2.endAsync(true);
  stop();
  t.is(await running, 0);
  const lines = errors().split('\n');
  t.true(
    lines.some((l) => /^\S+Z warn  MQTT auth refused clientId=GW00000001gw1 reason="password signature does not match"$/.test(l)),
    errors(),
  );
  t.true(
    lines.some((l) => /^\S+Z warn  ACL denied device=GW00000002\/gw2 action=subscribe topic=SB00000001\/test1\/data reason="SB00000001\/test1 is not bound to GW00000002\/gw2"$/.test(l)),
    errors(),
  );
  for (const secret of [GW.deviceSecret, wrong.password, Buffer.from('wrong').toString('base64')]) t.false(errors().includes(secret));
});

test('--log-level error keeps refusals off stderr; a bad --log-level is a usage error', async (t) => {
  const { errors, hub, stop, running } = await runUntilReady(['--port', '0', '--http-port', '0', '--log-level', 'error']);
  const client = mqtt.connect(hub().urls.mqtt, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...buildKeyAuth(GW) });
  await new Promise<void>((resolve) => client.once('error', () => resolve()));
  await client.endAsync(true);
  t.is(hub().stats.authFailures, 1);
  stop();
  t.is(await running, 0);
  t.is(errors(), '');
  const err: string[] = [];
  t.is(await runHubCli(['--log-level', 'loud'], { stdout: () => undefined, stderr: (l) => err.push(l), untilStopped: Promise.resolve() }), 2);
  t.regex(err.join('\n'), /--log-level must be one of debug, info, warn, error, got "loud"/);
});

test('--token or IOTGW_HUB_TOKEN sets the admin token; a weak one exits 2 without echoing it', async (t) => {
  const flag = await runUntilReady(['--port', '0', '--http-port', '0', '--token', 'flag-token-0123456789']);
  t.is(flag.hub().adminToken, 'flag-token-0123456789');
  t.regex(flag.output(), /console: +http:\S+\/\?token=flag-token-0123456789$/m);
  flag.stop();
  t.is(await flag.running, 0);
  let stop!: () => void;
  const untilStopped = new Promise<void>((resolve) => (stop = resolve));
  let hub: HubEmulator | undefined;
  const running = runHubCli(['--port', '0', '--http-port', '0'], {
    stdout: () => undefined,
    stderr: () => undefined,
    untilStopped,
    env: { IOTGW_HUB_TOKEN: 'env-token-0123456789' },
    onReady: (h) => {
      hub = h;
      stop();
    },
  });
  t.is(await running, 0);
  t.is(hub?.adminToken, 'env-token-0123456789');
  const err: string[] = [];
  t.is(await runHubCli(['--token', 'weak pass'], { stdout: () => undefined, stderr: (l) => err.push(l), untilStopped: Promise.resolve() }), 2);
  t.regex(err.join('\n'), /^iotgw hub: the admin token must be 16 to 128 characters/);
  t.false(err.join('\n').includes('weak pass'));
});

test('--firmware-dir and --max-packet-bytes reach the emulator; bad values exit 2', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hub-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const run = await runUntilReady(['--port', '0', '--http-port', '0', '--firmware-dir', dir, '--max-packet-bytes', '2048']);
  t.is(run.hub().firmwareDir, dir);
  t.regex(run.output(), /firmware: registered by path from /);
  run.stop();
  t.is(await run.running, 0);
  const err: string[] = [];
  const io = { stdout: () => undefined, stderr: (l: string) => err.push(l), untilStopped: Promise.resolve() };
  t.is(await runHubCli(['--max-packet-bytes', '0'], io), 2);
  t.is(await runHubCli(['--port', '0', '--http-port', '0', '--firmware-dir', join(dir, 'missing')], io), 2);
  t.regex(err.join('\n'), /--max-packet-bytes must be a positive integer/);
  t.regex(err.join('\n'), /firmware directory \S+missing does not exist/);
});
