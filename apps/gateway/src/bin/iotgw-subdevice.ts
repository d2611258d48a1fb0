#!/usr/bin/env node
// A simulated subdevice on a real serial port or pty, for trying a gateway by hand:
//   socat -d -d pty,raw,echo=0,link=/tmp/gw pty,raw,echo=0,link=/tmp/sub &
//   iotgw-subdevice --port /tmp/sub --product-id ABCDEFGHIJ --device-name sensor1 --version 1.0.0
import { parseArgs } from 'node:util';
import { SubdeviceSimulator, type SimulatedFirmwareBehaviour } from '@iotgw/testkit';
import { SerialPort } from 'serialport';
import { serialByteStream } from '@iotgw/adapters-serial';

const usage = `usage: iotgw-subdevice --port PATH --product-id PID --device-name NAME [--version 1.0.0]
       [--address 1] [--baud 115200] [--sensor-interval-ms 5000] [--crc crc32c|crc16]
       [--fail-code N --fail-message TEXT | --crash-at BYTES] [--apply-ms 2000] [--reboot-after-apply-ms 500]`;

function usageError(message: string): never {
  console.error(`iotgw-subdevice: ${message}\n${usage}`);
  process.exit(2);
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        'product-id': { type: 'string' },
        'device-name': { type: 'string' },
        version: { type: 'string', default: '1.0.0' },
        address: { type: 'string', default: '1' },
        baud: { type: 'string', default: '115200' },
        'sensor-interval-ms': { type: 'string', default: '5000' },
        crc: { type: 'string', default: 'crc32c' },
        'fail-code': { type: 'string' },
        'fail-message': { type: 'string', default: 'simulated apply failure' },
        'crash-at': { type: 'string' },
        'apply-ms': { type: 'string', default: '2000' },
        'reboot-after-apply-ms': { type: 'string', default: '500' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
}

const { values } = parseFlags();

if (values.help || !values.port || !values['product-id'] || !values['device-name']) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
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

const port = new SerialPort({ path: values.port, baudRate: intFlag('baud'), autoOpen: false });
port.on('error', (error) => console.error(`port error: ${error.message}`));
port.open((error) => {
  if (error) {
    console.error(`cannot open ${values.port}: ${error.message}`);
    process.exit(1);
  }
  let sim: SubdeviceSimulator;
  try {
    sim = simulatorOn(port);
  } catch (e) {
    // A bad identity or option is the user's mistake: say so, no stack trace.
    port.close();
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
    setTimeout(() => port.close(() => process.exit(0)), 50);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
});

function simulatorOn(port: SerialPort): SubdeviceSimulator {
  return new SubdeviceSimulator(serialByteStream(port), {
    productId: values['product-id']!,
    deviceName: values['device-name']!,
    firmwareVersion: values.version,
    address: intFlag('address'),
    framing: { crc },
    sensorIntervalMs: intFlag('sensor-interval-ms'),
    applyMs: intFlag('apply-ms'),
    rebootAfterApplyMs: intFlag('reboot-after-apply-ms'),
    firmware,
  });
}
