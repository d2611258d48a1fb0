import test from 'ava';
import { isGatewayError } from '@iotgw/domain';
import { NobleBleCentral } from '../src/index.js';

// These run against the real @stoprocent/noble on a machine without a usable Bluetooth adapter
// (CI containers): the point is a clear LinkError instead of a crash or a hang.
const hasBluetooth = process.env.IOTGW_BLE_HARDWARE === '1';

test('the real central on a machine without Bluetooth refuses with link.unavailable', async (t) => {
  if (hasBluetooth) return t.pass('IOTGW_BLE_HARDWARE=1: adapter present, see test-manual/');
  const central = new NobleBleCentral({ poweredOnTimeoutMs: 2_000 });
  const started = Date.now();
  const error = await t.throwsAsync(central.scan({}, () => {}));
  t.true(isGatewayError(error) && error.code === 'link.unavailable', String(error));
  t.regex(error.message, /Bluetooth LE is not available: adapter state is (unsupported|poweredOff|unauthorized|unknown)/);
  t.true(Date.now() - started < 4_000);
  const connectError = await t.throwsAsync(central.connect('aa:bb:cc:dd:ee:ff'));
  t.true(isGatewayError(connectError) && connectError.code === 'link.unavailable');
  await central.close();
});

test('a missing noble module is link.unavailable with the import error as cause', async (t) => {
  const central = new NobleBleCentral({ moduleName: '@iotgw/no-such-ble-module' });
  const error = await t.throwsAsync(central.scan({}, () => {}));
  t.true(isGatewayError(error) && error.code === 'link.unavailable');
  t.regex(error.message, /could not be loaded/);
  t.is((error.cause as NodeJS.ErrnoException).code, 'ERR_MODULE_NOT_FOUND');
  await central.close();
});

test('a process that tried the real central without Bluetooth still exits on its own', async (t) => {
  if (hasBluetooth) return t.pass('IOTGW_BLE_HARDWARE=1');
  const { spawn } = await import('node:child_process');
  const entry = new URL('../src/index.js', import.meta.url).href;
  const script = `
    const { NobleBleCentral } = await import(${JSON.stringify(entry)});
    const central = new NobleBleCentral({ poweredOnTimeoutMs: 1500 });
    try { await central.scan({}, () => {}); console.log('unexpected: scanning'); }
    catch (e) { console.log('code=' + e.code); }
    await central.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  // 'close', not 'exit': its last line may still be in the pipe when the process is gone.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  t.is(signal, null, 'the child had to be killed: something kept the event loop alive');
  t.is(code, 0);
  t.regex(out, /code=link\.unavailable/);
});
