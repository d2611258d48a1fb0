import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  compileModbusModel,
  createModbusLink,
  EXAMPLE_MODBUS_MODELS,
  loadModbusModelFile,
  ModbusModelError,
  type ModelProblem,
} from '../src/index.js';

const point = (extra: Record<string, unknown>) => ({ name: 'p', function: 'holdingRegister', address: 0, ...extra });
const model = (points: unknown[], extra: Record<string, unknown> = {}) => ({ model: 'm', points, ...extra });

function problemsOf(input: unknown): ModelProblem[] {
  try {
    compileModbusModel(input, 'models/x.json');
  } catch (error) {
    if (error instanceof ModbusModelError) return [...error.problems];
    throw error;
  }
  throw new Error('the model was accepted');
}

// Each invalid shape: [what, model, expected (point, field, message pattern)].
const invalid: Array<[string, unknown, string | undefined, string, RegExp]> = [
  ['a misspelt field', model([point({ scal: 2 })]), 'p', '(the point itself)', /unknown field "scal"/],
  ['a wrong function', model([point({ function: 'holding' })]), 'p', 'function', /must be one of coil, discreteInput, holdingRegister, inputRegister/],
  ['a wrong type', model([point({ type: 'float64' })]), 'p', 'type', /must be one of bool, int16/],
  ['a string scale', model([point({ scale: '0.1' })]), 'p', 'scale', /must be a number, not a string/],
  ['a zero scale', model([point({ scale: 0 })]), 'p', 'scale', /must not be 0/],
  ['an address past 65535', model([point({ address: 70000 })]), 'p', 'address', /65535/],
  ['a negative address', model([point({ address: -1 })]), 'p', 'address', />=0|at least 0|too small/i],
  ['a missing address', model([{ name: 'p', function: 'coil' }]), 'p', 'address', /missing: a number is required/],
  ['a bad word order', model([point({ type: 'int32', wordOrder: 'middle' })]), 'p', 'wordOrder', /"big" \(high word first\) or "little"/],
  ['a float32 running past 65535', model([point({ type: 'float32', address: 65535 })]), 'p', 'address', /runs past 65535/],
  ['a bool in a holding register', model([point({ type: 'bool' })]), 'p', 'type', /holds 16 bits/],
  ['an int16 coil', model([point({ function: 'coil', type: 'int16' })]), 'p', 'type', /holds one bit/],
  ['a writable input register', model([point({ function: 'inputRegister', writable: true })]), 'p', 'writable', /read-only in Modbus/],
  ['a scale on a coil', model([point({ function: 'coil', scale: 2 })]), 'p', 'scale', /does not apply to a bool point/],
  ['a word order on a one-register type', model([point({ type: 'uint16', wordOrder: 'little' })]), 'p', 'wordOrder', /only to int32, uint32 and float32/],
  ['min above max', model([point({ writable: true, min: 10, max: 5 })]), 'p', 'min', /10 is above max 5/],
  ['a range on a read-only point', model([point({ max: 5 })]), 'p', 'max', /write range: set "writable": true/],
  ['a duplicate name', model([point({}), point({ address: 1 })]), 'p', 'name', /names must be unique/],
  ['a reserved name', model([point({ name: 'result' })]), 'result', 'name', /reserved/],
  ['a name that is no JSON key', model([point({ name: 'volt age' })]), 'volt age', 'name', /letters, digits or _/],
  ['a point without a name', model([{ function: 'coil', address: 1 }]), 'points[0]', 'name', /missing: a string is required/],
  ['no points', model([]), undefined, 'points', /at least one point/],
  ['no model name', { points: [point({})] }, undefined, 'model', /missing: a string is required/],
  ['an ascii version without count', model([point({})], { firmwareVersion: { function: 'holdingRegister', address: 9, encoding: 'ascii' } }), undefined, 'firmwareVersion.count', /required with "ascii"/],
  ['a version in a coil', model([point({})], { firmwareVersion: { function: 'coil', address: 9, encoding: 'uint16' } }), undefined, 'firmwareVersion.function', /holdingRegister or inputRegister/],
  ['a misspelt defaults field', model([point({})], { defaults: { pollInterval: 5 } }), undefined, 'defaults', /unknown field "pollInterval"/],
];

for (const [what, input, pointName, field, message] of invalid) {
  test(`model validation names the file, the point and the field: ${what}`, (t) => {
    const problems = problemsOf(input);
    const found = problems.find((p) => p.field === field);
    t.truthy(found, `problems: ${JSON.stringify(problems)}`);
    t.is(found?.point, pointName);
    t.regex(found?.message ?? '', message);
  });
}

test('a model with several problems reports all of them in one error whose message names the file', (t) => {
  const error = t.throws(() => compileModbusModel(model([point({ name: 'a', scale: 0 }), point({ name: 'b', function: 'inputRegister', writable: true })]), 'models/x.json'), {
    instanceOf: ModbusModelError,
  });
  t.is(error?.file, 'models/x.json');
  t.is(error?.code, 'config.invalid');
  t.is(error?.message, 'model models/x.json: 2 problems:\n  point "a", field "scale": must not be 0\n  point "b", field "writable": an inputRegister is read-only in Modbus: only coils and holding registers can be written');
});

test('model files: not JSON, missing, and a bad model are errors naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'iotgw-model-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'broken.json'), '{"model": "m",\n "points": [,]}');
  const broken = await t.throwsAsync(loadModbusModelFile(join(dir, 'broken.json')), { instanceOf: ModbusModelError });
  t.regex(broken.message, /broken\.json: field "\(file\)": is not valid JSON \(.* at line 2, column \d+\)/);
  const missing = await t.throwsAsync(loadModbusModelFile(join(dir, 'nope.json')));
  t.regex(missing.message, /nope\.json: cannot be read \(no such file\)/);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(model([point({ name: 'voltage', type: 'int64' })])));
  const bad = await t.throwsAsync(
    createModbusLink({ tcp: { host: '127.0.0.1' }, units: [{ id: 'MODBUS0003/m1', unit: 1, model: 'bad.json' }] }, { baseDir: dir }),
    { instanceOf: ModbusModelError },
  );
  t.is(bad.file, join(dir, 'bad.json'), 'relative model paths start at baseDir');
  t.is(bad.point, 'voltage');
  t.is(bad.fieldName, 'type');
  const inline = await t.throwsAsync(createModbusLink({ tcp: { host: '127.0.0.1' }, units: [{ id: 'MODBUS0003/m1', unit: 1, model: model([point({ scale: 0 })]) }] }), {
    instanceOf: ModbusModelError,
  });
  t.is(inline.file, 'units[0].model (inline)');
});

test('the example models are valid', async (t) => {
  const meter = await loadModbusModelFile(EXAMPLE_MODBUS_MODELS.energyMeter);
  t.is(meter.model, 'iotgw-energy-meter');
  t.deepEqual(meter.points.filter((p) => p.writable).map((p) => p.name), ['relay', 'demandLimit']);
  const th = await loadModbusModelFile(EXAMPLE_MODBUS_MODELS.temperatureHumidity);
  t.deepEqual(th.points.map((p) => p.name), ['temperature', 'humidity', 'alarmHigh', 'alarm']);
  t.is(th.firmwareVersion, undefined);
});

test('defaults are applied: types by table, orders and poll interval from the model defaults', (t) => {
  const m = compileModbusModel(
    model([point({ name: 'a' }), point({ name: 'b', function: 'coil' }), point({ name: 'c', type: 'int32', address: 4, pollIntervalMs: 50 })], {
      defaults: { pollIntervalMs: 2000, wordOrder: 'little' },
    }),
    'inline',
  );
  const [a, b, c] = m.points;
  t.like(a, { type: 'uint16', width: 1, pollIntervalMs: 2000, wordOrder: 'little', byteOrder: 'big', scale: 1, offset: 0, writable: false, deadband: 0 });
  t.like(b, { type: 'bool', width: 1 });
  t.like(c, { type: 'int32', width: 2, pollIntervalMs: 50 });
});
