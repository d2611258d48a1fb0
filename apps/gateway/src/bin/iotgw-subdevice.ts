#!/usr/bin/env node
// A simulated subdevice on a real serial port or pty, for trying a gateway by hand:
//   socat -d -d pty,raw,echo=0,link=/tmp/gw pty,raw,echo=0,link=/tmp/sub &
//   iotgw-subdevice --port /tmp/sub --product-id ABCDEFGHIJ --device-name sensor1 --firmware-version 1.0.0
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SubdeviceSimulator, type SimulatedFirmwareBehaviour } from '@iotgw/simulators';
import { SerialPortStream } from '@iotgw/adapters-serial';
import { applyConventions } from '../cli/conventions.js';
import { processOutput } from '../cli/output.js';
import { packageVersion } from '../cli/version.js';

interface Flags {
  port?: string;
  productId?: string;
  deviceName?: string;
  firmwareVersion: string;
  address: number;
  baud: number;
  sensorIntervalMs: number;
  crc: 'crc32c' | 'crc16';
  failCode?: number;
  failMessage: string;
  crashAt?: number;
  applyMs: number;
  rebootAfterApplyMs: number;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

const REQUIRED = [
  ['port', '--port'],
  ['productId', '--product-id'],
  ['deviceName', '--device-name'],
] as const;

const program = new Command('iotgw-subdevice')
  .description(
    'A simulated subdevice speaking the iotgw link protocol on a serial port or pty, to play the subdevice side of a gateway by hand. Stops on SIGINT/SIGTERM (saying BYE).',
  )
  .version(packageVersion(), '-V, --version', 'print the version of iotgw-subdevice')
  .option('--port <PATH>', 'serial port or pty the subdevice is on (the gateway opens the other end) (required)')
  .option('--product-id <PID>', 'product id of the subdevice: 10 upper-case letters or digits, as in the console (required)')
  .option('--device-name <NAME>', 'device name of the subdevice, as in the console (required)')
  .option('--firmware-version <V>', 'firmware version it reports at start', '1.0.0')
  .addOption(new Option('--address <N>', 'link-protocol bus address, 1..254 (several subdevices can share one RS-485 bus)').default(1).argParser(wholeNumber))
  .addOption(new Option('--baud <N>', 'serial baud rate; must match the gateway link').default(115200).argParser(wholeNumber))
  .addOption(new Option('--sensor-interval-ms <MS>', 'send a JSON reading this often while attached (0 = never)').default(5000).argParser(wholeNumber))
  .addOption(new Option('--crc <crc32c|crc16>', 'frame checksum; must match the gateway link').choices(['crc32c', 'crc16']).default('crc32c'))
  .addOption(new Option('--fail-code <N>', 'refuse every firmware image with this result code (tests a failed update)').argParser(wholeNumber))
  .option('--fail-message <TEXT>', 'message sent with --fail-code', 'simulated apply failure')
  .addOption(new Option('--crash-at <BYTES>', 'go silent once this many firmware bytes arrived (once; restart to resume)').argParser(wholeNumber))
  .addOption(new Option('--apply-ms <MS>', 'how long applying an image takes').default(2000).argParser(wholeNumber))
  .addOption(new Option('--reboot-after-apply-ms <MS>', 'after a successful apply, reboot into the new version this much later').default(500).argParser(wholeNumber));
applyConventions(program, processOutput);

/** Before 0.2, `--version V` set the firmware version; it still does (with a warning) when a value follows. */
function withoutDeprecatedVersion(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const next = argv[i + 1];
    const inline = /^--version=(.+)$/.exec(arg)?.[1];
    const value = inline ?? (arg === '--version' && next !== undefined && !next.startsWith('-') ? next : undefined);
    if (value === undefined) {
      out.push(arg);
      continue;
    }
    process.stderr.write(`iotgw-subdevice: --version ${value} is deprecated: use --firmware-version ${value} (--version alone prints the program's version)\n`);
    out.push('--firmware-version', value);
    if (inline === undefined) i++;
  }
  return out;
}

let flags: Flags;
try {
  flags = program.parse(withoutDeprecatedVersion(process.argv.slice(2)), { from: 'user' }).opts<Flags>();
  const missing = REQUIRED.filter(([key]) => !flags[key]).map(([, flag]) => flag);
  if (missing.length > 0) program.error(`missing required flag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, { exitCode: 2 });
} catch (error) {
  process.exit(error instanceof CommanderError ? (error.exitCode === 0 ? 0 : 2) : 1);
}

const { port: path = '', productId = '', deviceName = '' } = flags;
let firmware: SimulatedFirmwareBehaviour = 'success';
if (flags.failCode !== undefined) firmware = { fail: flags.failCode, message: flags.failMessage };
else if (flags.crashAt !== undefined) firmware = { cutAt: flags.crashAt };

SerialPortStream.open(path, flags.baud).then(run, (error: Error) => {
  console.error(`iotgw-subdevice: ${error.message}`);
  process.exit(1);
});

function run(port: SerialPortStream): void {
  port.on('error', (error) => console.error(`port error: ${error.message}`));
  const sim = simulatorOn(port);
  sim.events.on('connected', ({ version }) => console.log(`connected to the gateway, running ${version}`));
  sim.events.on('disconnected', () => console.log('gateway lost, saying HELLO again'));
  sim.events.on('data', (payload) => console.log(`data from gateway: ${Buffer.from(payload).toString()}`));
  sim.events.on('crashed', ({ offset }) => console.log(`simulated crash at ${offset} bytes (restart to resume)`));
  sim.events.on('applied', ({ version, ok }) => console.log(ok ? `applied ${version}` : `apply of ${version} failed`));
  sim.start();
  const shutdown = (): void => {
    sim.stop(true);
    setTimeout(() => void port.close().then(() => process.exit(0)), 50);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

function simulatorOn(port: SerialPortStream): SubdeviceSimulator {
  try {
    return new SubdeviceSimulator(port, {
      productId,
      deviceName,
      firmwareVersion: flags.firmwareVersion,
      address: flags.address,
      framing: { crc: flags.crc },
      sensorIntervalMs: flags.sensorIntervalMs,
      applyMs: flags.applyMs,
      rebootAfterApplyMs: flags.rebootAfterApplyMs,
      firmware,
    });
  } catch (e) {
    // A bad identity or option is the user's mistake: say so, no stack trace.
    void port.close();
    try {
      program.error((e as Error).message, { exitCode: 2 });
    } catch {
      // exitOverride turned the exit into a throw
    }
    return process.exit(2);
  }
}
