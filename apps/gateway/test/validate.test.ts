import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';

// `iotgw validate` refuses what `iotgw start` refuses: each case is checked on both.

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const GW_SECRET = Buffer.from('validate-gateway-secret').toString('base64');
const deviceInfo = {
  auth_mode: 'KEY',
  productId: 'GW00000001',
  deviceName: 'gw1',
  key_deviceinfo: { deviceSecret: GW_SECRET },
  subDev: { subdev_list: [{ sub_productId: 'SB00000001', sub_devName: 'sensor1' }] },
};

async function files(t: { teardown(fn: () => Promise<void>): void }, config: object): Promise<{ dir: string; info: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-validate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const info = join(dir, 'device_info.json');
  await writeFile(info, JSON.stringify(deviceInfo));
  const file = join(dir, 'iotgw.json');
  // Nothing listens on port 1: a start that got as far as connecting would not exit 2.
  await writeFile(file, JSON.stringify({ hub: { host: '127.0.0.1', port: 1, tls: false }, dataDir: join(dir, 'data'), control: { port: 0 }, ...config }));
  return { dir, info, config: file };
}

async function both(paths: { info: string; config: string }): Promise<{ validate: ReturnType<typeof capture> & { code: number }; start: ReturnType<typeof capture> & { code: number } }> {
  const validate = capture();
  const validateCode = await runCli(['validate', paths.info, paths.config], validate);
  const start = capture();
  const startCode = await runCli(['start', '--device-info', paths.info, '--config', paths.config], start);
  return { validate: Object.assign(validate, { code: validateCode }), start: Object.assign(start, { code: startCode }) };
}

test('an unset secret environment variable: validate and start both exit 2 naming the subdevice and the variable', async (t) => {
  delete process.env.IOTGW_VALIDATE_TEST_UNSET;
  const paths = await files(t, { secrets: { 'SB00000001/sensor1': { env: 'IOTGW_VALIDATE_TEST_UNSET' } } });
  const { validate, start } = await both(paths);
  for (const run of [validate, start]) {
    t.is(run.code, 2, run.stderr.join('\n'));
    t.regex(run.stderr.join('\n'), /secrets\.SB00000001\/sensor1: environment variable IOTGW_VALIDATE_TEST_UNSET is not set: export it before starting/);
  }
  t.regex(validate.stdout.join('\n'), /device_info\.json: ok/);
  t.notRegex(validate.stdout.join('\n'), /iotgw\.json: ok/);
});

test('a link naming a subdevice that is not in the device file: validate and start both exit 2, saying what to add', async (t) => {
  const paths = await files(t, { links: [{ adapter: 'serial', path: '/dev/null', subdevices: ['SB00000001/sensor1', 'SB00000001/sensor9'] }] });
  const { validate, start } = await both(paths);
  for (const run of [validate, start]) {
    t.is(run.code, 2, run.stderr.join('\n'));
    t.regex(
      run.stderr.join('\n'),
      /links\.0\.subdevices\.1: SB00000001\/sensor9 is not in the subdevice list of .*device_info\.json \(subDev\.subdev_list\): add it there, e\.g\. \{"sub_productId": "SB00000001", "sub_devName": "sensor9"\}/,
    );
  }
  t.deepEqual(start.stdout, [], 'start must refuse before it connects');
});

test('a serial path that does not exist, or is not a device: validate exits 2 naming the link path', async (t) => {
  const paths = await files(t, {});
  await writeFile(join(paths.dir, 'plain-file'), '');
  await writeFile(
    paths.config,
    JSON.stringify({
      links: [
        { adapter: 'serial', path: '/dev/iotgw-no-such-tty', subdevices: ['SB00000001/sensor1'] },
        { adapter: 'serial', path: join(paths.dir, 'plain-file') },
      ],
      dataDir: join(paths.dir, 'data'),
    }),
  );
  const io = capture();
  t.is(await runCli(['validate', '--device-info', paths.info, '--config', paths.config], io), 2);
  const err = io.stderr.join('\n');
  t.regex(err, /links\.0\.path: \/dev\/iotgw-no-such-tty does not exist: plug the device in or fix the path/);
  t.regex(err, /links\.1\.path: .*plain-file is not a serial device/);
});

test('a data dir that cannot be written: validate exits 2 as start does; a good one is proven writable and left as it was', async (t) => {
  const paths = await files(t, {});
  await writeFile(join(paths.dir, 'a-file'), 'not a directory');
  await writeFile(paths.config, JSON.stringify({ dataDir: join(paths.dir, 'a-file', 'data') }));
  const { validate, start } = await both(paths);
  for (const run of [validate, start]) {
    t.is(run.code, 2);
    t.regex(run.stderr.join('\n'), /dataDir: cannot create or write .*a-file\/data: .*set "dataDir" in .*iotgw\.json to a directory this user can write/);
  }
  const dataDir = join(paths.dir, 'new', 'nested', 'data');
  await writeFile(paths.config, JSON.stringify({ dataDir }));
  const ok = capture();
  t.is(await runCli(['validate', paths.info, paths.config], ok), 0, ok.stderr.join('\n'));
  t.false(existsSync(join(paths.dir, 'new')), 'validate left the data dir it probed behind');
});

test('a good pair passes validate with one ok line per file', async (t) => {
  process.env.IOTGW_VALIDATE_TEST_SET = Buffer.from('sensor1-secret').toString('base64');
  t.teardown(() => Promise.resolve(delete process.env.IOTGW_VALIDATE_TEST_SET));
  const paths = await files(t, {
    links: [{ adapter: 'serial', path: '/dev/null', subdevices: ['SB00000001/sensor1'] }],
    secrets: { 'SB00000001/sensor1': { env: 'IOTGW_VALIDATE_TEST_SET' } },
  });
  const io = capture();
  t.is(await runCli(['validate', '--device-info', paths.info, '--config', paths.config], io), 0, io.stderr.join('\n'));
  t.regex(io.stdout[0] ?? '', /device_info\.json: ok — gateway GW00000001\/gw1, key auth, 1 subdevice/);
  t.regex(io.stdout[1] ?? '', /iotgw\.json: ok — hub mqtt, 1 link\(s\)/);
  t.notRegex(io.stdout.join('\n'), /not checked/);
});

test('a modbus link whose model file is missing or has a bad register map: validate exits 2 naming the link, the file, the point and the field', async (t) => {
  const paths = await files(t, {});
  const missing = join(paths.dir, 'models', 'no-such-meter.json');
  const bad = join(paths.dir, 'bad-meter.json');
  await writeFile(bad, JSON.stringify({ model: 'bad', points: [{ name: 'voltage', function: 'inputRegister', address: 0, type: 'float32', scale: 0 }] }));
  const good = join(paths.dir, 'good-meter.json');
  await writeFile(good, JSON.stringify({ model: 'good', points: [{ name: 'voltage', function: 'inputRegister', address: 0, type: 'float32' }] }));
  const modbus = (units: ReadonlyArray<{ id: string; unit: number; model: string }>): object => ({ adapter: 'modbus', tcp: { host: '127.0.0.1', port: 1502 }, units });
  await writeFile(
    paths.config,
    JSON.stringify({
      links: [modbus([{ id: 'EM00000001/meter1', unit: 1, model: missing }]), modbus([{ id: 'EM00000001/meter2', unit: 1, model: good }, { id: 'EM00000001/meter3', unit: 2, model: bad }])],
      dataDir: join(paths.dir, 'data'),
    }),
  );
  const io = capture();
  t.is(await runCli(['validate', paths.config], io), 2);
  const err = io.stderr.join('\n');
  t.regex(err, /links\.0\.units\.0\.model: model .*no-such-meter\.json: cannot be read \(no such file\): check the path/);
  t.regex(err, /links\.1\.units\.1\.model: model .*bad-meter\.json: point "voltage", field "scale": must not be 0/);
  t.notRegex(err, /links\.1\.units\.0/, 'the good model is not reported');

  await writeFile(paths.config, JSON.stringify({ links: [modbus([{ id: 'EM00000001/meter2', unit: 1, model: good }])], dataDir: join(paths.dir, 'data') }));
  const ok = capture();
  t.is(await runCli(['validate', paths.config], ok), 0, ok.stderr.join('\n'));
  t.regex(ok.stdout.join('\n'), /iotgw\.json: ok — hub mqtt, 1 link\(s\)/);
});

test('a file of another kind in a file\'s place (device file, config, emulator registry) is named as such, exit 2, for validate and start', async (t) => {
  const paths = await files(t, {});
  const registry = join(paths.dir, 'registry.json');
  await writeFile(registry, JSON.stringify({ devices: [{ productId: 'GW00000001', deviceName: 'gw1', deviceSecret: GW_SECRET, gateway: true }], bindings: [] }));
  const DEVICE = `the vendor's device_info.json`;
  const cases: Array<[string[], string]> = [
    [['validate', '--config', paths.info], `${paths.info}: this looks like ${DEVICE} (give it with --device-info), not an iotgw config`],
    [['validate', '--device-info', paths.config], `${paths.config}: this looks like an iotgw config (give it with --config), not ${DEVICE}`],
    [['validate', registry], `${registry}: this looks like a hub emulator registry (for iotgw hub --registry), not ${DEVICE}`],
    [['validate', '--config', registry], `${registry}: this looks like a hub emulator registry (for iotgw hub --registry), not an iotgw config`],
    [['start', '--device-info', paths.info, '--config', paths.info], `iotgw start: ${paths.info}: this looks like ${DEVICE} (give it with --device-info), not an iotgw config`],
    [['start', '--device-info', registry], `iotgw start: ${registry}: this looks like a hub emulator registry (for iotgw hub --registry), not ${DEVICE}`],
  ];
  for (const [args, message] of cases) {
    const io = capture();
    t.is(await runCli(args, io), 2, args.join(' '));
    const err = io.stderr.join('\n');
    t.true(err.includes(message), `${args.join(' ')}:\n${err}`);
    // One line instead of the schema's list of every key the other file lacks.
    t.notRegex(err, /Unrecognized|problems:/);
  }
  // Each file in its place is fine: the kinds are told apart, not guessed wrong.
  const ok = capture();
  t.is(await runCli(['validate', paths.info, paths.config], ok), 0, ok.stderr.join('\n'));
});
