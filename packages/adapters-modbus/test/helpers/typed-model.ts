import type { ModbusModelInput } from '../../src/index.js';
import type { RegisterMap } from './pymodbus-server.js';

/** Registers of `value` as `type`, high word first, each word high byte first (Modbus order). */
export function wordsOf(type: 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32', value: number): number[] {
  const b = Buffer.alloc(type.endsWith('16') ? 2 : 4);
  if (type === 'int16') b.writeInt16BE(value);
  else if (type === 'uint16') b.writeUInt16BE(value);
  else if (type === 'int32') b.writeInt32BE(value);
  else if (type === 'uint32') b.writeUInt32BE(value);
  else b.writeFloatBE(value);
  const words: number[] = [];
  for (let i = 0; i < b.length; i += 2) words.push(b.readUInt16BE(i));
  return words;
}

const swapBytes = (w: number): number => ((w & 0xff) << 8) | (w >>> 8);

/**
 * A model with one point of every type and order, and the registers pymodbus serves for it: the
 * test knows the engineering values, encodes them here independently of the adapter's codec, and
 * expects the adapter to read them back.
 */
export const typedModel: ModbusModelInput = {
  model: 'typed-test',
  firmwareVersion: { function: 'holdingRegister', address: 90, encoding: 'ascii', count: 3 },
  points: [
    { name: 'i16', function: 'holdingRegister', address: 0, type: 'int16' },
    { name: 'u16scaled', function: 'holdingRegister', address: 1, type: 'uint16', scale: 0.1, writable: true, min: 0, max: 500 },
    { name: 'i32big', function: 'holdingRegister', address: 2, type: 'int32' },
    { name: 'i32little', function: 'holdingRegister', address: 4, type: 'int32', wordOrder: 'little' },
    { name: 'u32offset', function: 'holdingRegister', address: 6, type: 'uint32', scale: 0.01, offset: -100 },
    { name: 'f32big', function: 'inputRegister', address: 0, type: 'float32' },
    { name: 'f32little', function: 'inputRegister', address: 2, type: 'float32', wordOrder: 'little' },
    { name: 'f32swapped', function: 'inputRegister', address: 4, type: 'float32', byteOrder: 'little' },
    { name: 'setpoint', function: 'holdingRegister', address: 20, type: 'float32', writable: true, min: 5, max: 35 },
    { name: 'counter', function: 'holdingRegister', address: 30, type: 'int32', wordOrder: 'little', writable: true },
    { name: 'relay', function: 'coil', address: 3, writable: true },
    { name: 'door', function: 'discreteInput', address: 5 },
    { name: 'readOnly', function: 'inputRegister', address: 10, type: 'uint16' },
  ],
};

/** The engineering values the registers below hold. */
export const typedValues = {
  i16: -1234,
  u16scaled: 229.8,
  i32big: -20_000_000,
  i32little: 123_456_789,
  u32offset: 12_345.67,
  f32big: 3.14159,
  f32little: -0.5,
  f32swapped: 1234.5,
  setpoint: 21.5,
  counter: -42,
  relay: true,
  door: true,
  readOnly: 7,
};

function put(into: Record<number, number>, address: number, words: number[]): void {
  words.forEach((w, i) => (into[address + i] = w));
}

export function typedRegisters(unit: number): RegisterMap {
  const hr: Record<number, number> = {};
  const ir: Record<number, number> = {};
  put(hr, 0, wordsOf('int16', typedValues.i16));
  put(hr, 1, [2298]);
  put(hr, 2, wordsOf('int32', typedValues.i32big));
  put(hr, 4, wordsOf('int32', typedValues.i32little).reverse());
  put(hr, 6, wordsOf('uint32', Math.round((typedValues.u32offset + 100) / 0.01)));
  put(hr, 20, wordsOf('float32', typedValues.setpoint));
  put(hr, 30, wordsOf('int32', typedValues.counter).reverse());
  // "1.4.2" + NUL, two characters per register.
  put(hr, 90, [0x312e, 0x342e, 0x3200]);
  put(ir, 0, wordsOf('float32', typedValues.f32big));
  put(ir, 2, wordsOf('float32', typedValues.f32little).reverse());
  put(ir, 4, wordsOf('float32', typedValues.f32swapped).map(swapBytes));
  put(ir, 10, [7]);
  return { [unit]: { hr, ir, co: { 3: 1 }, di: { 5: 1 } } };
}
