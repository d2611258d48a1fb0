import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
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
  t.regex(out, /all 25 steps succeeded/);
  // The printed URL carries the console's token; without it the console is refused.
  const url = /hub emulator console: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out)?.[1] ?? '';
  const page = await fetch(url);
  t.is(page.status, 200);
  t.is((await fetch(new URL('/', url))).status, 401);
  child.kill('SIGINT');
  t.is(await exited, 0, out);
});

test('iotgw demo with a bad flag exits 2 with its usage', async (t) => {
  const child = spawn(process.execPath, [bin, 'demo', '--nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  // 'close', not 'exit': the usage written just before exiting may still be in the pipe.
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  t.is(code, 2);
  t.regex(err, /Usage: iotgw demo/);
});

test('iotgw demo on an unreachable broker exits 1 by itself, counting the steps it skipped as skipped', async (t) => {
  // A port nothing listens on: bound, then closed, so the connect is refused at once.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const child = spawn(process.execPath, [bin, 'demo', '--memory', '--broker', `mqtt://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  // A hang guard: a normal run exits within seconds, but a loaded box takes seconds just to load the CLI.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  // 'close', not 'exit': the last step lines may still be in the pipe when the process is gone.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  t.is(signal, null, `still running 60 s after it started:\n${out}`);
  t.is(code, 1, out);
  t.regex(out, /^start hub emulator\s+FAILED\s+\d+ ms\s+MQTT broker could not start: connect ECONNREFUSED/m);
  t.regex(out, /^start gateway\s+skipped\s+0 ms\s+skipped after an earlier failure$/m);
  t.regex(out, /^1 of 25 steps failed, 24 skipped$/m);
});
