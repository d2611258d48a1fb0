import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { type AdapterContext, type AnyAdapterDescriptor, type OptionsIssue } from '@iotgw/domain';
import { CapturingLogger, fakeAdapterContext } from '@iotgw/testkit';
import { modbusLinkAdapter, type ModbusSubdeviceLink } from '../src/index.js';
import { LinkWatch } from './helpers/link-watch.js';
import { PymodbusServer, pymodbusTestsEnabled } from './helpers/pymodbus-server.js';
import { typedModel, typedRegisters, typedValues } from './helpers/typed-model.js';

const maybe = pymodbusTestsEnabled() ? test.serial : test.serial.skip;

/** As a registry holds it: options unknown until its own schema has checked them. */
const descriptor: AnyAdapterDescriptor = modbusLinkAdapter;

async function validate(options: unknown): Promise<{ value?: unknown; issues?: ReadonlyArray<OptionsIssue> }> {
  return descriptor.options['~standard'].validate(options);
}

const where = (issue: OptionsIssue): string => (issue.path ?? []).map((s) => String(typeof s === 'object' ? s.key : s)).join('.');

function context(baseDir: string, signal = new AbortController().signal): AdapterContext {
  return fakeAdapterContext({ logger: new CapturingLogger(), dataDir: baseDir, baseDir, signal });
}

test('descriptor: a link named "modbus" that serves the units its options list', async (t) => {
  t.like(descriptor, { kind: 'link', name: 'modbus' });
  t.regex(descriptor.summary, /Modbus RTU .* Modbus TCP/);
  const ok = await validate({ rtu: { path: '/dev/ttyUSB0' }, units: [{ id: 'MODBUS0005/meter1', unit: 3, model: './models/energy-meter.json' }] });
  t.is(ok.issues, undefined);
  t.like(ok.value, { requestTimeoutMs: 1000, offlineAfterFailures: 3, rtu: { path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none' } });
  t.deepEqual(descriptor.subdevicesOf?.(ok.value), [{ productId: 'MODBUS0005', deviceName: 'meter1' }]);
});

test('descriptor: every invalid option is an issue whose path names the field', async (t) => {
  const bad = await validate({
    rtu: { path: '/dev/ttyUSB0', baudRate: 'fast', parity: 'mark' },
    units: [
      { id: 'MODBUS0005/meter1', unit: 3, model: './m.json' },
      { id: 'meter2', unit: 300, model: './m.json' },
      { id: 'MODBUS0005/meter3', unit: 3, model: './m.json', pollIntervalMs: -1 },
    ],
    offlineAfterFailures: 0,
    colour: 'blue',
  });
  const issues = new Map((bad.issues ?? []).map((i) => [where(i), i.message]));
  t.log([...issues].map(([p, m]) => `${p}: ${m}`).join('\n'));
  for (const field of ['rtu.baudRate', 'rtu.parity', 'units.1.id', 'units.1.unit', 'units.2.pollIntervalMs', 'offlineAfterFailures', '']) {
    t.true(issues.has(field), `an issue at "${field}"`);
  }
  t.regex(issues.get('rtu.parity')!, /"none", "even" or "odd"/);
  t.regex(issues.get('units.1.id')!, /PRODUCTID\/deviceName/);
  t.regex(issues.get('')!, /colour/, 'an unknown option is named');
  const clash = await validate({ tcp: { host: 'plc.local' }, units: [{ id: 'MODBUS0005/a', unit: 1, model: 'm.json' }, { id: 'MODBUS0005/b', unit: 1, model: 'm.json' }] });
  t.deepEqual(clash.issues?.map(where), ['units.1.unit']);
  const neither = await validate({ units: [{ id: 'MODBUS0005/a', unit: 1, model: 'm.json' }] });
  t.deepEqual(neither.issues?.map(where), ['rtu']);
  t.regex(neither.issues?.[0]?.message ?? '', /exactly one of "rtu" .* or "tcp"/);
});

maybe('descriptor: create builds a working link against pymodbus over TCP, model paths relative to the config directory; the context signal stops it', async (t) => {
  const server = await PymodbusServer.start({ tcp: true }, typedRegisters(4));
  t.teardown(() => server.stop());
  const dir = mkdtempSync(join(tmpdir(), 'iotgw-modbus-descriptor-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models', 'typed.json'), JSON.stringify(typedModel));
  const checked = await validate({ tcp: { host: '127.0.0.1', port: server.port }, units: [{ id: 'MODBUS0005/typed', unit: 4, model: './models/typed.json', pollIntervalMs: 100 }] });
  t.is(checked.issues, undefined);
  const building = new AbortController();
  const link = (await descriptor.create(checked.value, context(dir, building.signal))) as ModbusSubdeviceLink;
  const watch = new LinkWatch(link);
  t.teardown(async () => {
    await link.stop();
    watch.close();
  });
  t.false(link.capabilities.supportsFirmware);
  await link.start();
  const [first] = await watch.readingCount('MODBUS0005/typed', 1);
  t.deepEqual(first!.value, typedValues);
  await link.send({ productId: 'MODBUS0005', deviceName: 'typed' }, new TextEncoder().encode(JSON.stringify({ set: { u16scaled: 12.5 } })));
  t.deepEqual(await server.get(4, 'hr', 1, 1), [125], 'the write landed in pymodbus');
  building.abort();
  await watch.until(() => watch.detached, (d) => d.length === 1, 'detached when the signal aborted');
  t.is(watch.detached[0]!.reason, 'stopped');
  t.false(link.metrics().open);
});

test('descriptor: create names the model file it cannot read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iotgw-modbus-descriptor-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const checked = await validate({ tcp: { host: '127.0.0.1', port: 1 }, units: [{ id: 'MODBUS0005/a', unit: 1, model: './models/missing.json' }] });
  const error = await t.throwsAsync(async () => descriptor.create(checked.value, context(dir)));
  t.is((error as { code?: string }).code, 'config.invalid');
  t.true(error.message.includes(join(dir, 'models', 'missing.json')), error.message);
  t.regex(error.message, /no such file/);
});

test('descriptor: preflight loads every model as create would; each problem is an issue at units.<i>.model naming file, point and field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iotgw-modbus-preflight-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ model: 'bad', points: [{ name: 'voltage', function: 'inputRegister', address: 0, type: 'float32', scale: 0 }] }));
  writeFileSync(join(dir, 'good.json'), JSON.stringify(typedModel));
  const checked = await validate({
    tcp: { host: '127.0.0.1' },
    units: [
      { id: 'MODBUS0005/a', unit: 1, model: './good.json' },
      { id: 'MODBUS0005/b', unit: 2, model: './missing.json' },
      { id: 'MODBUS0005/c', unit: 3, model: './bad.json' },
      { id: 'MODBUS0005/d', unit: 4, model: 'bad.json' },
      { id: 'MODBUS0005/e', unit: 5, model: { model: 'inline', points: [] } },
    ],
  });
  t.is(checked.issues, undefined);
  const issues = (await descriptor.preflight?.(checked.value, { baseDir: dir })) ?? [];
  t.deepEqual(issues.map(where), ['units.1.model', 'units.2.model', 'units.4.model'], 'a file two units share is reported once, at the first');
  t.regex(issues[0]?.message ?? '', new RegExp(`model ${join(dir, 'missing.json')}: cannot be read \\(no such file\\)`));
  t.regex(issues[1]?.message ?? '', new RegExp(`model ${join(dir, 'bad.json')}: point "voltage", field "scale": must not be 0`));
  t.regex(issues[2]?.message ?? '', /units\[4\]\.model \(inline\).*points/);
  const good = await validate({ tcp: { host: '127.0.0.1' }, units: [{ id: 'MODBUS0005/a', unit: 1, model: './good.json' }] });
  t.deepEqual(await descriptor.preflight?.(good.value, { baseDir: dir }), []);
});
