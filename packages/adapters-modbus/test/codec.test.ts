import test from 'ava';
import { compileModbusModel, decodeRegisters, encodeValue, interFrameGapMs, modbusSubdevicesOf, parseModbusLinkOptions, type ModbusPoint } from '../src/index.js';
import { planReads } from '../src/model/read-plan.js';
import { decodeFirmwareVersion } from '../src/model/firmware-version.js';
import { ReportGate } from '../src/unit/report-gate.js';
import { wordsOf } from './helpers/typed-model.js';

function pointOf(extra: Record<string, unknown>): ModbusPoint {
  return compileModbusModel({ model: 'm', points: [{ name: 'p', function: 'holdingRegister', address: 0, ...extra }] }, 'inline').points[0]!;
}

// [type, orders, value, registers as the device holds them]
const fixtures: Array<[string, Record<string, unknown>, number, number[]]> = [
  ['int16', {}, -2, [0xfffe]],
  ['uint16', {}, 65535, [0xffff]],
  ['int16', { byteOrder: 'little' }, 0x0102, [0x0201]],
  ['int32', {}, -2, [0xffff, 0xfffe]],
  ['int32', { wordOrder: 'little' }, 0x00010002, [0x0002, 0x0001]],
  ['uint32', { wordOrder: 'little', byteOrder: 'little' }, 0x01020304, [0x0403, 0x0201]],
  ['uint32', { byteOrder: 'little' }, 0x01020304, [0x0201, 0x0403]],
  ['float32', {}, 229.8, wordsOf('float32', 229.8)],
  ['float32', { wordOrder: 'little' }, -1.5, wordsOf('float32', -1.5).reverse()],
];

for (const [type, orders, value, registers] of fixtures) {
  test(`codec: ${type} ${JSON.stringify(orders)} ${value} <-> [${registers.map((r) => r.toString(16)).join(', ')}]`, (t) => {
    const p = pointOf({ type, writable: true, ...orders });
    t.is(decodeRegisters(p, registers), value);
    t.deepEqual(encodeValue(p, value), { ok: true, registers });
  });
}

test('codec: scale, offset and rounding', (t) => {
  t.is(decodeRegisters(pointOf({ scale: 0.1 }), [2298]), 229.8, 'not 229.79999999999998');
  t.is(decodeRegisters(pointOf({ type: 'int16', scale: 0.01, offset: -40 }), [6543]), 25.43);
  t.is(decodeRegisters(pointOf({ scale: 0.1, decimals: 0 }), [2298]), 230);
  t.is(decodeRegisters(pointOf({ type: 'float32' }), wordsOf('float32', 0.1)), 0.1, 'float32 keeps its 7 digits');
  t.is(decodeRegisters(pointOf({ type: 'float32', scale: 1000 }), wordsOf('float32', 1.2345)), 1234.5);
  t.deepEqual(encodeValue(pointOf({ scale: 0.1, writable: true }), 21.5), { ok: true, registers: [215] });
  t.deepEqual(encodeValue(pointOf({ type: 'int16', scale: 0.5, offset: 10, writable: true }), 9), { ok: true, registers: [0xfffe] });
});

test('codec: writes that cannot be encoded say why', (t) => {
  const p = pointOf({ type: 'int16', scale: 0.1, unit: '°C', writable: true, min: -40, max: 85 });
  t.deepEqual(encodeValue(p, 85.5), { ok: false, error: 'out of range: 85.5 is above the maximum 85' });
  t.deepEqual(encodeValue(p, -41), { ok: false, error: 'out of range: -41 is below the minimum -40' });
  t.deepEqual(encodeValue(p, 21.55), { ok: false, error: '21.55 cannot be written exactly: the register holds steps of 0.1 °C' });
  t.deepEqual(encodeValue(p, '21'), { ok: false, error: 'must be a number, not "21"' });
  t.deepEqual(encodeValue(p, Number.NaN), { ok: false, error: 'must be a number, not null' });
  t.deepEqual(encodeValue(pointOf({ type: 'uint16', writable: true }), -1), { ok: false, error: 'out of range: -1 does not fit the register\'s uint16' });
  t.deepEqual(encodeValue(pointOf({ type: 'int32', writable: true }), 2 ** 31), { ok: false, error: 'out of range: 2147483648 does not fit the register\'s int32' });
  const coil = compileModbusModel({ model: 'm', points: [{ name: 'c', function: 'coil', address: 0, writable: true }] }, 'i').points[0]!;
  t.deepEqual(encodeValue(coil, 1), { ok: true, bit: true });
  t.deepEqual(encodeValue(coil, 'on'), { ok: false, error: 'must be true or false (or 1 or 0), not "on"' });
});

test('read plan: contiguous points of one table share a request; gaps, tables and the 125-register limit split them', (t) => {
  const m = compileModbusModel(
    {
      model: 'm',
      points: [
        { name: 'a', function: 'holdingRegister', address: 0, type: 'float32' },
        { name: 'b', function: 'holdingRegister', address: 2 },
        { name: 'c', function: 'holdingRegister', address: 5 },
        { name: 'd', function: 'inputRegister', address: 0 },
        { name: 'e', function: 'holdingRegister', address: 120, type: 'uint32' },
        { name: 'f', function: 'holdingRegister', address: 124, type: 'uint32' },
        { name: 'g', function: 'coil', address: 3 },
        { name: 'h', function: 'coil', address: 4 },
      ],
    },
    'i',
  );
  const spans = (gap: number) => planReads(m.points, gap).map((s) => [s.function, s.address, s.count, s.points.map((p) => p.name).join('')]);
  t.deepEqual(spans(0), [
    ['holdingRegister', 0, 3, 'ab'],
    ['holdingRegister', 5, 1, 'c'],
    ['holdingRegister', 120, 2, 'e'],
    ['holdingRegister', 124, 2, 'f'],
    ['inputRegister', 0, 1, 'd'],
    ['coil', 3, 2, 'gh'],
  ]);
  t.deepEqual(spans(2), [
    ['holdingRegister', 0, 6, 'abc'],
    ['holdingRegister', 120, 6, 'ef'],
    ['inputRegister', 0, 1, 'd'],
    ['coil', 3, 2, 'gh'],
  ]);
  t.deepEqual(spans(200).slice(0, 2), [
    ['holdingRegister', 0, 122, 'abce'],
    ['holdingRegister', 124, 2, 'f'],
  ], 'f would make it 126 registers, above the 125 a request may read');
});

test('firmware version registers', (t) => {
  t.is(decodeFirmwareVersion({ function: 'holdingRegister', address: 0, encoding: 'majorMinor' }, [0x0102]), '1.2');
  t.is(decodeFirmwareVersion({ function: 'holdingRegister', address: 0, encoding: 'uint16' }, [204]), '204');
  t.is(decodeFirmwareVersion({ function: 'inputRegister', address: 0, encoding: 'ascii', count: 4 }, [0x5631, 0x2e30, 0x2000, 0x0000]), 'V1.0');
  t.is(decodeFirmwareVersion({ function: 'inputRegister', address: 0, encoding: 'ascii', count: 2 }, [0, 0]), 'unknown', 'empty text');
  t.is(decodeFirmwareVersion({ function: 'inputRegister', address: 0, encoding: 'ascii', count: 2 }, [0x2e2e, 0x2f61]), 'unknown', 'a path is no version');
});

test('options: defaults, the inter-frame gap, and errors naming the path', (t) => {
  const o = parseModbusLinkOptions({ rtu: { path: '/dev/ttyUSB0' }, units: [{ id: 'MODBUS0001/a', unit: 1, model: 'm.json' }] });
  t.like(o, { requestTimeoutMs: 1000, crcRetries: 2, offlineAfterFailures: 3, downPollIntervalMs: 10_000, reportOnChange: false, minReportIntervalMs: 0 });
  t.like(o.rtu, { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
  t.is(interFrameGapMs(o.rtu!), (3.5 * 10 * 1000) / 9600);
  t.is(interFrameGapMs({ ...o.rtu!, baudRate: 115200 }), 1.75);
  t.is(interFrameGapMs({ ...o.rtu!, parity: 'even' }), (3.5 * 11 * 1000) / 9600);
  t.deepEqual(modbusSubdevicesOf(o), [{ productId: 'MODBUS0001', deviceName: 'a' }]);
  const error = t.throws(() =>
    parseModbusLinkOptions({
      rtu: { path: '/dev/ttyUSB0', parity: 'mark' },
      tcp: { host: 'x' },
      units: [
        { id: 'bad', unit: 1, model: 'm.json' },
        { id: 'MODBUS0001/b', unit: 1, model: 'm.json' },
        { id: 'MODBUS0001/c', unit: 0, model: 7 },
      ],
    }),
  );
  t.is((error as { code?: string }).code, 'config.invalid');
  for (const expected of [
    /rtu\.parity: must be "none", "even" or "odd"/,
    /units\.0\.id: subdevice "bad" is not valid: write it as PRODUCTID\/deviceName/,
    /units\.2\.model: must be the path of a model file/,
  ]) {
    t.regex(error.message, expected);
  }
  const semantic = t.throws(() =>
    parseModbusLinkOptions({
      rtu: { path: '/dev/ttyUSB0' },
      tcp: { host: 'x' },
      units: [
        { id: 'MODBUS0001/a', unit: 1, model: 'm.json' },
        { id: 'MODBUS0001/a', unit: 1, model: 'm.json' },
        { id: 'MODBUS0001/c', unit: 0, model: 'm.json' },
      ],
    }),
  );
  for (const expected of [
    /tcp: give exactly one of "rtu" .* or "tcp"/,
    /units\.1\.unit: unit id 1 is already used by units\[0\]/,
    /units\.1\.id: MODBUS0001\/a is already units\[0\]/,
    /units\.2\.unit: 0 is not a unit id on a serial bus: use 1\.\.247/,
  ]) {
    t.regex(semantic.message, expected);
  }
});

test('report gate: report-on-change judges against the last reported reading with per-point deadbands', (t) => {
  const m = compileModbusModel(
    { model: 'm', points: [{ name: 'v', function: 'inputRegister', address: 0, deadband: 0.5 }, { name: 'on', function: 'coil', address: 0 }, { name: 'n', function: 'inputRegister', address: 1 }] },
    'i',
  );
  const gate = new ReportGate(m.pointsByName, { reportOnChange: true, minReportIntervalMs: 0 });
  t.is(gate.offer({ v: 230, on: true, n: 1 }, 0).verdict, 'report', 'the first reading always goes');
  t.is(gate.offer({ v: 230.4, on: true, n: 1 }, 1).verdict, 'unchanged');
  t.is(gate.offer({ v: 230.5, on: true, n: 1 }, 2).verdict, 'unchanged', 'exactly the deadband is no change');
  t.is(gate.offer({ v: 230.6, on: true, n: 1 }, 3).verdict, 'report', 'drift adds up against the last reported');
  t.is(gate.offer({ v: 230.6, on: false, n: 1 }, 4).verdict, 'report', 'a bool flips');
  t.is(gate.offer({ v: 230.6, on: false, n: 2 }, 5).verdict, 'report', 'no deadband: any change');
  gate.reset();
  t.is(gate.offer({ v: 230.6, on: false, n: 2 }, 6).verdict, 'report', 'after a reattach the first reading goes again');
});

test('report gate: the minimum interval holds a reading, a newer one replaces it, it goes out when the interval ends', (t) => {
  const m = compileModbusModel({ model: 'm', points: [{ name: 'v', function: 'inputRegister', address: 0 }] }, 'i');
  const gate = new ReportGate(m.pointsByName, { reportOnChange: false, minReportIntervalMs: 1000 });
  t.deepEqual(gate.offer({ v: 1 }, 0), { verdict: 'report', replaced: false });
  t.deepEqual(gate.offer({ v: 2 }, 100), { verdict: 'held', replaced: false });
  t.deepEqual(gate.offer({ v: 3 }, 200), { verdict: 'held', replaced: true });
  t.is(gate.pendingAt, 1000);
  t.is(gate.takeDue(999), undefined);
  t.deepEqual(gate.takeDue(1000), { v: 3 });
  t.is(gate.takeDue(5000), undefined);
  t.deepEqual(gate.offer({ v: 4 }, 2000), { verdict: 'report', replaced: false });
});
