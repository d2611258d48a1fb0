import type { z } from 'zod';
import { ModbusModelError, type ModelProblem } from './modbus-model.errors.js';
import {
  modbusModelSchema,
  pointSchema,
  type FirmwareVersionRegister,
  type ModbusPointParsed,
  type ModbusFunction,
  type Order,
  type PointType,
} from './modbus-model.schema.js';

export const DEFAULT_POLL_INTERVAL_MS = 1000;

/** A point with every default applied: what the poller and the codec work from. */
export interface ModbusPoint {
  readonly name: string;
  readonly function: ModbusFunction;
  readonly address: number;
  readonly type: PointType;
  /** Registers it spans (1 or 2); 1 bit for coils and discrete inputs. */
  readonly width: number;
  readonly wordOrder: Order;
  readonly byteOrder: Order;
  readonly scale: number;
  readonly offset: number;
  readonly decimals: number | undefined;
  readonly unit: string | undefined;
  readonly pollIntervalMs: number;
  readonly writable: boolean;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly deadband: number;
}

export interface ModbusModel {
  readonly model: string;
  readonly version: string | undefined;
  /** Where it came from, for messages: a file path or `units[i].model (inline)`. */
  readonly source: string;
  readonly firmwareVersion: FirmwareVersionRegister | undefined;
  readonly maxReadGap: number;
  readonly points: readonly ModbusPoint[];
  readonly pointsByName: ReadonlyMap<string, ModbusPoint>;
}

/** Keys of commands and answers on the same data topic: a point by that name would be mistaken for one. */
const RESERVED_NAMES = new Set(['set', 'result', 'error', 'id']);

const a = (word: string): string => `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;

const isBitTable = (f: ModbusFunction): boolean => f === 'coil' || f === 'discreteInput';
const widthOf: Record<PointType, number> = { bool: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2 };

/**
 * Validates `input` (parsed JSON) as a model and applies the defaults. Every problem, of shape
 * (zod) or of sense (a bool in a holding register, a writable input register, a duplicate name),
 * is reported at once in one ModbusModelError naming `source`, the point and the field.
 */
export function compileModbusModel(input: unknown, source: string): ModbusModel {
  const parsed = modbusModelSchema.safeParse(input);
  // Points are also checked one by one, so the sense of the well-formed ones is checked even when
  // another part of the file is malformed: every problem is reported in one go.
  const rawPoints = Array.isArray((input as { points?: unknown } | null)?.points) ? (input as { points: unknown[] }).points : [];
  const wellFormed = rawPoints.map((p) => pointSchema.safeParse(p)).flatMap((r) => (r.success ? [r.data] : []));
  const problems: ModelProblem[] = parsed.success ? [] : parsed.error.issues.map((issue) => problemOf(issue, input));
  problems.push(...pointProblems(parsed.success ? parsed.data.points : wellFormed));
  if (parsed.success) problems.push(...firmwareVersionProblems(parsed.data.firmwareVersion));
  if (!parsed.success || problems.length > 0) throw new ModbusModelError(source, problems);
  const m = parsed.data;
  const points: ModbusPoint[] = m.points.map((p) => {
    const type: PointType = p.type ?? (isBitTable(p.function) ? 'bool' : 'uint16');
    return {
      name: p.name,
      function: p.function,
      address: p.address,
      type,
      width: widthOf[type],
      wordOrder: p.wordOrder ?? m.defaults?.wordOrder ?? 'big',
      byteOrder: p.byteOrder ?? m.defaults?.byteOrder ?? 'big',
      scale: p.scale ?? 1,
      offset: p.offset ?? 0,
      decimals: p.decimals,
      unit: p.unit,
      pollIntervalMs: p.pollIntervalMs ?? m.defaults?.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      writable: p.writable ?? false,
      min: p.min,
      max: p.max,
      deadband: p.deadband ?? 0,
    };
  });
  return {
    model: m.model,
    version: m.version,
    source,
    firmwareVersion: m.firmwareVersion,
    maxReadGap: m.defaults?.maxReadGap ?? 0,
    points,
    pointsByName: new Map(points.map((p) => [p.name, p])),
  };
}

/** What zod cannot see: a point that is well-formed but makes no sense in Modbus (or twice). */
function pointProblems(points: readonly ModbusPointParsed[]): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const seen = new Set<string>();
  for (const p of points) {
    const bits = isBitTable(p.function);
    const type: PointType = p.type ?? (bits ? 'bool' : 'uint16');
    const wrong = (field: string, message: string): void => void problems.push({ point: p.name, field, message });
    if (seen.has(p.name)) wrong('name', 'is used by another point of this model: names must be unique');
    if (RESERVED_NAMES.has(p.name)) wrong('name', `"${p.name}" is reserved (commands and answers use it): choose another name`);
    seen.add(p.name);
    if (bits && type !== 'bool') wrong('type', `${a(p.function)} holds one bit: its type must be "bool" (or left out)`);
    if (!bits && type === 'bool') wrong('type', `${a(p.function)} holds 16 bits: use int16, uint16, int32, uint32 or float32`);
    if (p.writable && (p.function === 'inputRegister' || p.function === 'discreteInput')) {
      wrong('writable', `${a(p.function)} is read-only in Modbus: only coils and holding registers can be written`);
    }
    const width = widthOf[type];
    if (p.address + width - 1 > 65535) wrong('address', `${p.address} + ${width} registers runs past 65535`);
    if (type === 'bool') {
      for (const field of ['scale', 'offset', 'decimals', 'deadband', 'min', 'max', 'wordOrder', 'byteOrder'] as const) {
        if (p[field] !== undefined) wrong(field, 'does not apply to a bool point');
      }
    } else if (width === 1 && p.wordOrder !== undefined) {
      wrong('wordOrder', `does not apply to a one-register ${type} (only to int32, uint32 and float32)`);
    }
    if (p.min !== undefined && p.max !== undefined && p.min > p.max) wrong('min', `${p.min} is above max ${p.max}`);
    if ((p.min !== undefined || p.max !== undefined) && !p.writable) wrong(p.min !== undefined ? 'min' : 'max', 'is a write range: set "writable": true or remove it');
  }
  return problems;
}

function firmwareVersionProblems(fw: FirmwareVersionRegister | undefined): ModelProblem[] {
  if (!fw) return [];
  const problems: ModelProblem[] = [];
  if (fw.encoding === 'ascii' && fw.count === undefined) problems.push({ point: undefined, field: 'firmwareVersion.count', message: 'is required with "ascii": how many registers hold the text' });
  if (fw.encoding !== 'ascii' && fw.count !== undefined && fw.count !== 1) problems.push({ point: undefined, field: 'firmwareVersion.count', message: `"${fw.encoding}" reads one register: leave count out` });
  if (fw.address + (fw.count ?? 1) - 1 > 65535) problems.push({ point: undefined, field: 'firmwareVersion.address', message: 'runs past 65535' });
  return problems;
}

/** A zod issue said as (point, field, message): points are named by their `name` where they have one. */
function problemOf(issue: z.core.$ZodIssue, input: unknown): ModelProblem {
  const path = issue.path.map(String);
  const message = plain(issue);
  if (path[0] !== 'points' || path.length < 2) return { point: undefined, field: path.join('.') || '(top level)', message };
  const index = Number(path[1]);
  const raw = Array.isArray((input as { points?: unknown } | null)?.points) ? (input as { points: unknown[] }).points[index] : undefined;
  const name = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : undefined;
  const point = name && name.length > 0 ? `${name}` : `points[${index}]`;
  return { point, field: path.slice(2).join('.') || '(the point itself)', message };
}

/** zod's wording, said the way a person editing a model file thinks of it. */
function plain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see the README's model reference)`;
  const typed = /^Invalid input: expected (\w+), received (\w+)$/.exec(issue.message);
  if (!typed) return issue.message;
  const [, expected = '', received = ''] = typed;
  return received === 'undefined' ? `missing: ${expected === 'array' ? 'a list' : `a ${expected}`} is required` : `must be a ${expected}, not ${received === 'array' ? 'a list' : `a ${received}`}`;
}
