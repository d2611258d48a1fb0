import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';

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

test('validate: a device_info.json without auth_mode is still checked as one (auth_mode is named)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'device_info.json');
  await writeFile(file, JSON.stringify({ productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' } }));
  const io = capture();
  t.is(await runCli(['validate', file], io), 2);
  t.regex(io.stderr.join('\n'), /auth_mode: must be "KEY" or "CERT"/);
  t.notRegex(io.stderr.join('\n'), /Unrecognized keys/);
});

test('validate: a missing file is a clear error', async (t) => {
  const io = capture();
  t.is(await runCli(['validate', '/nonexistent/device_info.json'], io), 2);
  t.regex(io.stderr.join('\n'), /no such file/);
});

test('an unknown command exits 2 and shows usage; --help exits 0', async (t) => {
  const io = capture();
  t.is(await runCli(['frobnicate'], io), 2);
  t.regex(io.stderr.join('\n'), /^iotgw: unknown command 'frobnicate'[\s\S]*validate/);
  const help = capture();
  t.is(await runCli(['--help'], help), 0);
  t.regex(help.stdout.join('\n'), /Usage: iotgw \[options\] \[command\]/);
});

test('iotgw --version prints the package version and exits 0', async (t) => {
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, '--version']);
  t.is(stdout, `${version}\n`);
  t.is(stderr, '');
  const io = capture();
  t.is(await runCli(['-v'], io), 0);
  t.deepEqual(io.stdout, [version]);
  const help = capture();
  await runCli(['--help'], help);
  t.regex(help.stdout.join('\n'), /-V, --version/);
});

test('iotgw subdevices without an operation, or with an unknown one, says which operations exist', async (t) => {
  const none = capture();
  t.is(await runCli(['subdevices'], none), 2);
  t.regex(none.stderr[0] ?? '', /^iotgw subdevices: name an operation: list, bind, unbind, online or offline$/);
  t.notRegex(none.stderr.join('\n'), /unknown operation ""/);
  const bad = capture();
  t.is(await runCli(['subdevices', 'reboot'], bad), 2);
  t.regex(bad.stderr[0] ?? '', /^iotgw subdevices: unknown operation "reboot": use list, bind, unbind, online or offline$/);
});
