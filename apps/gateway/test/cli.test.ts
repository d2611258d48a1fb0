import test from 'ava';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliOutput } from '../src/index.js';

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

test('validate: a bad file exits 2 with the field and the fix, and no stack trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'device_info.json');
  await writeFile(file, JSON.stringify({ auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: '' } }));
  const io = capture();
  t.is(await runCli(['validate', file], io), 2);
  t.regex(io.stderr.join('\n'), /key_deviceinfo\.deviceSecret: is required/);
  t.notRegex(io.stderr.join('\n'), /\n\s+at /);
});

test('validate: good files exit 0 and summarise each, without printing secrets', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const info = join(dir, 'device_info.json');
  const config = join(dir, 'iotgw.json');
  await writeFile(info, JSON.stringify({ auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' } }));
  await writeFile(config, JSON.stringify({ hub: { host: '127.0.0.1', port: 1883, tls: false } }));
  const io = capture();
  t.is(await runCli(['validate', info, config], io), 0);
  t.is(io.stdout.length, 2);
  t.regex(io.stdout[0] ?? '', /gateway GW00000001\/gw1, key auth, 0 subdevice/);
  t.notRegex(io.stdout.join('\n'), /c2VjcmV0/);
});

test('validate: a missing file is a clear error', async (t) => {
  const io = capture();
  t.is(await runCli(['validate', '/nonexistent/device_info.json'], io), 2);
  t.regex(io.stderr.join('\n'), /no such file/);
});

test('an unknown command exits 2 and shows usage; --help exits 0', async (t) => {
  const io = capture();
  t.is(await runCli(['frobnicate'], io), 2);
  t.regex(io.stderr.join('\n'), /unknown command "frobnicate"[\s\S]*validate/);
  const help = capture();
  t.is(await runCli(['--help'], help), 0);
  t.regex(help.stdout.join('\n'), /Usage: iotgw <command>/);
});
