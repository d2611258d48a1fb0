import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../src/demo/wait-for.js';

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));

test('iotgw demo --keep-running prints the console URL, serves it, and exits 0 on SIGINT', async (t) => {
  const child = spawn(process.execPath, [bin, 'demo', '--keep-running', '--memory'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the console URL', () => /hub emulator console: http:\/\/127\.0\.0\.1:\d+\//.test(out) || child.exitCode !== null, { timeoutMs: 50_000 });
  t.regex(out, /all 13 steps succeeded/);
  const url = /hub emulator console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1] ?? '';
  const page = await fetch(url);
  t.is(page.status, 200);
  child.kill('SIGINT');
  t.is(await exited, 0, out);
});

test('iotgw demo with a bad flag exits 2 with its usage', async (t) => {
  const child = spawn(process.execPath, [bin, 'demo', '--nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.is(code, 2);
  t.regex(err, /Usage: iotgw demo/);
});
