import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHubCli, type HubEmulator } from '../src/index.js';
import { sampleRegistry } from './helpers.js';
import { spawnHubCli } from './cli-process.js';

test('--help documents every option and exits 0', async (t) => {
  const out: string[] = [];
  t.is(await runHubCli(['--help'], { stdout: (l) => out.push(l), stderr: () => undefined }), 0);
  for (const option of ['--port', '--http-port', '--tls-port', '--ws-port', '--host', '--registry', '--broker', '--help']) t.true(out.join('\n').includes(option), option);
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
    t.regex(text, /console: +http:\/\/127\.0\.0\.1:\d+\//);
    const res = await fetch(`${hub!.urls.http}/api/devices`);
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
    const url = /HTTP: +(\S+)/.exec(output())![1]!;
    t.is((await fetch(`${url}/api/devices`)).status, 200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    t.is(await exited, 0, output());
    t.regex(output(), /stopping hub emulator/);
  }
});

/** Runs the CLI in-process until it is ready; `stop` plays the signal, `running` is its exit code. */
async function runUntilReady(args: string[]): Promise<{ output: () => string; stop: () => void; running: Promise<number> }> {
  let stop!: () => void;
  const untilStopped = new Promise<void>((resolve) => (stop = resolve));
  const out: string[] = [];
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const running = runHubCli(args, { stdout: (l) => out.push(l), stderr: (l) => out.push(l), untilStopped, onReady: () => onReady() });
  await Promise.race([ready, running]);
  return { output: () => out.join('\n'), stop, running };
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
