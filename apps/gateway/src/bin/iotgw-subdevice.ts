#!/usr/bin/env node
// A simulated subdevice on a real serial port or pty, for trying a gateway by hand:
//   socat -d -d pty,raw,echo=0,link=/tmp/gw pty,raw,echo=0,link=/tmp/sub &
//   iotgw-subdevice --port /tmp/sub --product-id ABCDEFGHIJ --device-name sensor1 --version 1.0.0
import { parseArgs } from 'node:util';
import { SubdeviceSimulator, type SimulatedFirmwareBehaviour } from '@iotgw/simulators';
import { SerialPortStream } from '@iotgw/adapters-serial';

// One table drives both the parser and --help, so a flag can never be parsed but undocumented.
const FLAGS = {
  port: { type: 'string', arg: 'PATH', required: true, help: 'serial port or pty the subdevice is on (the gateway opens the other end)' },
  'product-id': { type: 'string', arg: 'PID', required: true, help: 'product id of the subdevice: 10 upper-case letters or digits, as in the console' },
  'device-name': { type: 'string', arg: 'NAME', required: true, help: 'device name of the subdevice, as in the console' },
  version: { type: 'string', arg: 'V', default: '1.0.0', help: 'firmware version it reports at start' },
  address: { type: 'string', arg: 'N', default: '1', help: 'link-protocol bus address, 1..254 (several subdevices can share one RS-485 bus)' },
  baud: { type: 'string', arg: 'N', default: '115200', help: 'serial baud rate; must match the gateway link' },
  'sensor-interval-ms': { type: 'string', arg: 'MS', default: '5000', help: 'send a JSON reading this often while attached (0 = never)' },
  crc: { type: 'string', arg: 'crc32c|crc16', default: 'crc32c', help: 'frame checksum; must match the gateway link' },
  'fail-code': { type: 'string', arg: 'N', help: 'refuse every firmware image with this result code (tests a failed update)' },
  'fail-message': { type: 'string', arg: 'TEXT', default: 'simulated apply failure', help: 'message sent with --fail-code' },
  'crash-at': { type: 'string', arg: 'BYTES', help: 'go silent once this many firmware bytes arrived (once; restart to resume)' },
  'apply-ms': { type: 'string', arg: 'MS', default: '2000', help: 'how long applying an image takes' },
  'reboot-after-apply-ms': { type: 'string', arg: 'MS', default: '500', help: 'after a successful apply, reboot into the new version this much later' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const;

const synopsis = `usage: iotgw-subdevice --port PATH --product-id PID --device-name NAME [options]`;

function helpText(): string {
  const rows = Object.entries(FLAGS).map(([name, f]) => {
    const left = `--${name}${'arg' in f ? ` ${f.arg}` : ''}`;
    const extra = 'required' in f ? ' (required)' : 'default' in f ? ` (default ${f.default.includes(' ') ? JSON.stringify(f.default) : f.default})` : '';
    return `  ${left.padEnd(32)} ${f.help}${extra}`;
  });
  return `${synopsis}

A simulated subdevice speaking the iotgw link protocol on a serial port or pty, to play the
subdevice side of a gateway by hand. Stops on SIGINT/SIGTERM (saying BYE).

Options:
${rows.join('\n')}`;
}

function usageError(message: string): never {
  console.error(`iotgw-subdevice: ${message}\n${synopsis}\nRun "iotgw-subdevice --help" for every flag.`);
  process.exit(2);
}

function parseFlags() {
  try {
    return parseArgs({ options: FLAGS });
  } catch (error) {
    return usageError((error as Error).message);
  }
}

const { values } = parseFlags();

if (values.help) {
  console.log(helpText());
  process.exit(0);
}
const { port: path, 'product-id': productId, 'device-name': deviceName } = values;
if (!path || !productId || !deviceName) {
  const missing = Object.entries(FLAGS)
    .filter(([name, f]) => 'required' in f && !values[name as keyof typeof values])
    .map(([name]) => `--${name}`);
  usageError(`missing required flag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
}
const identity = { productId, deviceName };
/** A whole number from a flag, or a usage error naming the flag (never NaN into the simulator). */
function intFlag(name: keyof typeof values): number {
  const raw = values[name];
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(n)) usageError(`--${name} must be a whole number, got '${String(raw)}'`);
  return n;
}
if (values.crc !== 'crc16' && values.crc !== 'crc32c') usageError(`--crc must be crc32c or crc16, got '${values.crc}'`);
const crc = values.crc;
let firmware: SimulatedFirmwareBehaviour = 'success';
if (values['fail-code'] !== undefined) firmware = { fail: intFlag('fail-code'), message: values['fail-message'] };
else if (values['crash-at'] !== undefined) firmware = { cutAt: intFlag('crash-at') };

const baud = intFlag('baud');
SerialPortStream.open(path, baud).then(run, (error: Error) => {
  console.error(error.message);
  process.exit(1);
});

function run(port: SerialPortStream): void {
  port.on('error', (error) => console.error(`port error: ${error.message}`));
  let sim: SubdeviceSimulator;
  try {
    sim = simulatorOn(port);
  } catch (e) {
    // A bad identity or option is the user's mistake: say so, no stack trace.
    void port.close();
    usageError((e as Error).message);
  }
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
  return new SubdeviceSimulator(port, {
    ...identity,
    firmwareVersion: values.version,
    address: intFlag('address'),
    framing: { crc },
    sensorIntervalMs: intFlag('sensor-interval-ms'),
    applyMs: intFlag('apply-ms'),
    rebootAfterApplyMs: intFlag('reboot-after-apply-ms'),
    firmware,
  });
}
