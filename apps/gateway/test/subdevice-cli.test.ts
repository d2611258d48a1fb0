import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
    [cli, '--port', pair.deviceSide, '--product-id', 'ABCDEFGHIJ', '--device-name', 'cli1', '--version', '1.2.3', '--sensor-interval-ms', '100'],
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
  [['--port', '/dev/null', '--product-id', 'ABCDEFGHIJ', '--device-name', 'cli1', '--baud', 'fast'], /--baud must be a whole number, got 'fast'/],
  [['--port', '/dev/null', '--bogus'], /Unknown option '--bogus'/],
  [['--product-id', 'ABCDEFGHIJ'], /usage: iotgw-subdevice/],
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
  const flags = ['port', 'product-id', 'device-name', 'version', 'address', 'baud', 'sensor-interval-ms', 'crc', 'fail-code', 'fail-message', 'crash-at', 'apply-ms', 'reboot-after-apply-ms', 'help'];
  for (const flag of flags) {
    // The flag, its argument if any, then words describing it, all on one line.
    t.regex(stdout, new RegExp(`^  --${flag}( \\S+)? +[a-z].{10,}$`, 'm'), flag);
  }
  t.regex(stdout, /^  --port PATH +.*\(required\)$/m);
  t.regex(stdout, /^  --baud N +.*\(default 115200\)$/m);
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
