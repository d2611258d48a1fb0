import type { ModbusPoint } from './modbus-model.js';
import type { PointType } from './modbus-model.schema.js';

/** A point's value as it appears in the JSON readings and commands. */
export type PointValue = number | boolean;

const RAW_RANGE: Record<Exclude<PointType, 'bool'>, readonly [number, number]> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
};

/** The point's registers (as the device sent them) in Modbus byte order, high word first. */
function canonicalBytes(point: ModbusPoint, registers: readonly number[]): Buffer {
  const words = point.wordOrder === 'big' ? registers : [...registers].reverse();
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((word, i) => {
    const w = point.byteOrder === 'big' ? word : ((word & 0xff) << 8) | (word >>> 8);
    bytes.writeUInt16BE(w & 0xffff, i * 2);
  });
  return bytes;
}

/** The inverse of canonicalBytes: what to write so the device reads `bytes`. */
function deviceRegisters(point: ModbusPoint, bytes: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const w = bytes.readUInt16BE(i);
    words.push(point.byteOrder === 'big' ? w : ((w & 0xff) << 8) | (w >>> 8));
  }
  return point.wordOrder === 'big' ? words : words.reverse();
}

function rawOf(type: Exclude<PointType, 'bool'>, bytes: Buffer): number {
  switch (type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'float32':
      return bytes.readFloatBE(0);
  }
}

function decimalsOf(n: number): number {
  if (Number.isInteger(n)) return 0;
  const [mantissa = '', exponent = '0'] = Math.abs(n).toExponential().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, Math.min(10, fraction - Number(exponent)));
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * Registers (16-bit words as read, `point.width` of them) to the point's value: type, word and
 * byte order, then `raw × scale + offset`, rounded to `decimals` (default: as many as the scale
 * and offset have for integer types, so 2298 × 0.1 reads 229.8; 7 significant digits for float32,
 * its own precision, so 229.8f reads 229.8 and not 229.8000030517578).
 */
export function decodeRegisters(point: ModbusPoint, registers: readonly number[]): number {
  if (point.type === 'bool') throw new TypeError(`point ${point.name} is a bit, not registers`);
  const raw = rawOf(point.type, canonicalBytes(point, registers));
  if (!Number.isFinite(raw)) return raw;
  const scaled = point.scale === 1 && point.offset === 0 ? raw : raw * point.scale + point.offset;
  if (point.decimals !== undefined) return round(scaled, point.decimals);
  if (point.type === 'float32') return scaled === 0 ? 0 : Number(scaled.toPrecision(7));
  return round(scaled, Math.max(decimalsOf(point.scale), decimalsOf(point.offset)));
}

export type Encoded =
  | { readonly ok: true; readonly bit: boolean }
  | { readonly ok: true; readonly registers: number[] }
  | { readonly ok: false; readonly error: string };

/**
 * A value from a command to what goes on the wire, or why it cannot: not the point's kind of
 * value, outside its `min`/`max`, not a multiple of its scale, or outside its raw type.
 */
export function encodeValue(point: ModbusPoint, value: unknown): Encoded {
  if (point.type === 'bool') {
    if (typeof value === 'boolean') return { ok: true, bit: value };
    if (value === 0 || value === 1) return { ok: true, bit: value === 1 };
    return { ok: false, error: `must be true or false (or 1 or 0), not ${JSON.stringify(value)}` };
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { ok: false, error: `must be a number, not ${JSON.stringify(value)}` };
  }
  if (point.min !== undefined && value < point.min) return { ok: false, error: `out of range: ${value} is below the minimum ${point.min}` };
  if (point.max !== undefined && value > point.max) return { ok: false, error: `out of range: ${value} is above the maximum ${point.max}` };
  let raw = (value - point.offset) / point.scale;
  if (point.type !== 'float32') {
    const whole = Math.round(raw);
    if (Math.abs(raw - whole) > 1e-6 * Math.max(1, Math.abs(raw))) {
      return { ok: false, error: `${value} cannot be written exactly: the register holds steps of ${point.scale}${point.unit ? ` ${point.unit}` : ''}` };
    }
    raw = whole;
  }
  const [lo, hi] = RAW_RANGE[point.type];
  if (raw < lo || raw > hi) return { ok: false, error: `out of range: ${value} does not fit the register's ${point.type}` };
  const bytes = Buffer.alloc(point.width * 2);
  switch (point.type) {
    case 'int16':
      bytes.writeInt16BE(raw, 0);
      break;
    case 'uint16':
      bytes.writeUInt16BE(raw, 0);
      break;
    case 'int32':
      bytes.writeInt32BE(raw, 0);
      break;
    case 'uint32':
      bytes.writeUInt32BE(raw, 0);
      break;
    case 'float32':
      bytes.writeFloatBE(raw, 0);
      break;
  }
  return { ok: true, registers: deviceRegisters(point, bytes) };
}
