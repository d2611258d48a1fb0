import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialSubdeviceLink } from '@iotgw/adapters-serial';
import type { DetachReason, SubdeviceAttachment } from '@iotgw/domain';
import { SocatPair, findSocat } from '../src/demo/socat-pair.js';

const cli = fileURLToPath(new URL('../src/bin/iotgw-subdevice.js', import.meta.url));

test('iotgw-subdevice CLI attaches over a pty, sends readings, says BYE on SIGTERM', async (t) => {
  const socat = findSocat();
  if (!socat) return t.fail('socat is required (apt-get install socat)');
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-subdevice-cli-'));
  const pair = new SocatPair(socat, dir, 'cli');
  await pair.start();
  const link = new SerialSubdeviceLink({ path: pair.gatewaySide });
  t.teardown(async () => {
    await link.stop();
    await pair.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await link.start();
  const attached = new Promise<SubdeviceAttachment>((resolve) => link.on('attached', resolve));
  const reading = new Promise<Uint8Array>((resolve) => link.on('data', (d) => resolve(d.payload)));
  const child = spawn(
    process.execPath,
    [cli, '--port', pair.deviceSide, '--product-id', 'ABCDEFGHIJ', '--device-name', 'cli1', '--firmware-version', '1.2.3', '--sensor-interval-ms', '100'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => void child.kill('SIGKILL'));
  const a = await attached;
  t.is(a.subdevice.deviceName, 'cli1');
  t.is(a.firmwareVersion, '1.2.3');
  t.like(JSON.parse(Buffer.from(await reading).toString()), { seq: 1 });
  const detached = new Promise<DetachReason>((resolve) => link.on('detached', (d) => resolve(d.reason)));
  child.kill('SIGTERM');
  t.is(await detached, 'goodbye');
});

for (const [flags, message] of [
  [['--port', '/dev/null', '--product-id', 'ABCDEFGHIJ', '--device-name', 'cli1', '--baud', 'fast'], /^iotgw-subdevice: option '--baud <N>' argument 'fast' is invalid\. must be a whole number$/m],
  [['--port', '/dev/null', '--bogus'], /^iotgw-subdevice: unknown option '--bogus'$/m],
  [['--product-id', 'ABCDEFGHIJ'], /^Usage: iotgw-subdevice \[options\]$/m],
] as const) {
  test(`iotgw-subdevice ${flags.join(' ')}: usage error, exit 2, no stack trace`, async (t) => {
    const child = spawn(process.execPath, [cli, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    t.is(code, 2);
    t.regex(stderr, message);
    t.notRegex(stderr, /^\s+at /m);
  });
}

test('iotgw-subdevice --help goes to stdout with one described line per flag, exit 0', async (t) => {
  const child = spawn(process.execPath, [cli, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.is(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 0);
  t.is(stderr, '');
  const flags = ['port', 'product-id', 'device-name', 'firmware-version', 'address', 'baud', 'sensor-interval-ms', 'crc', 'fail-code', 'fail-message', 'crash-at', 'apply-ms', 'reboot-after-apply-ms'];
  for (const flag of flags) {
    // The flag, its argument if any, then words describing it, all on one line.
    t.regex(stdout, new RegExp(`^  --${flag}( \\S+)? +[a-z].{10,}$`, 'm'), flag);
  }
  // commander wraps long descriptions onto the next lines.
  t.regex(stdout, /^  --port <PATH> +.*\s+.*\(required\)$/m);
  t.regex(stdout, /^  --baud <N> +.*\s+\(default: 115200\)$/m);
  t.regex(stdout, /^  -V, --version +print the version/m);
});

test('iotgw-subdevice without a required flag names the missing flags, exit 2', async (t) => {
  for (const [flags, message] of [
    [['--product-id', 'ABCDEFGHIJ'], /^iotgw-subdevice: missing required flags --port, --device-name$/m],
    [['--port', '/dev/null', '--product-id', 'ABCDEFGHIJ'], /^iotgw-subdevice: missing required flag --device-name$/m],
  ] as const) {
    const child = spawn(process.execPath, [cli, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    t.is(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 2);
    t.regex(stderr, message);
  }
});

test('iotgw-subdevice --version and -V print the program version; --version V is the deprecated firmware-version flag', async (t) => {
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const child = spawn(process.execPath, [cli, flag], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    t.is(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 0);
    t.is(stdout, `${version}\n`, flag);
  }
  // The old spelling still sets the firmware version (with a warning); a bad baud stops it before it opens anything.
  const child = spawn(process.execPath, [cli, '--port', '/dev/null', '--product-id', 'ABCDEFGHIJ', '--device-name', 'x', '--version', '1.2.3', '--baud', 'x'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.is(await new Promise<number | null>((resolve) => child.on('exit', resolve)), 2);
  t.regex(stderr, /^iotgw-subdevice: --version 1\.2\.3 is deprecated: use --firmware-version 1\.2\.3/m);
});
