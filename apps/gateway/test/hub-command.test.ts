import 'reflect-metadata';
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
  const http = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /HTTP:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1] && out.includes('console:')) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`exited before ready:\n${out}`)));
  });
  const devices = await (await fetch(`${http}/api/devices`)).text();
  t.regex(devices, /GW00000001/);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0, out);
});
