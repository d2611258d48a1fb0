import 'reflect-metadata';
import test from 'ava';
import { spawn } from 'node:child_process';
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
