import type { BusRequest } from '../bus/bus-request.js';
import type { ModbusModel, ModbusPoint } from '../model/modbus-model.js';
import { encodeValue, type PointValue } from '../model/point-codec.js';

/** A write the bus will run for a command: one point, its value, its transaction. */
export interface PlannedWrite {
  readonly point: ModbusPoint;
  readonly value: PointValue;
  readonly request: BusRequest;
}

export type CommandId = string | number;

/**
 * A downlink payload, understood:
 * - `set`: the writes to run, and the points refused before any reaches the bus;
 * - `reject`: not a command we can run at all (not JSON, no "set", ...): answered with `error`;
 * - `ignore`: one of the link's own answers (`result`/`error`) come back down, e.g. an echo:
 *   answering it would answer the answer, forever.
 */
export type ParsedCommand =
  | {
      readonly kind: 'set';
      readonly id: CommandId | undefined;
      /** The points named, in the command's order (the answer keeps it). */
      readonly names: readonly string[];
      readonly writes: readonly PlannedWrite[];
      readonly refused: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'reject'; readonly id: CommandId | undefined; readonly error: string }
  | { readonly kind: 'ignore'; readonly why: string };

export type PointResult = { readonly ok: true; readonly value: PointValue } | { readonly ok: false; readonly error: string };

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export function parseCommand(payload: Uint8Array, model: ModbusModel, unitId: number): ParsedCommand {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payload));
  } catch {
    return { kind: 'reject', id: undefined, error: 'the command is not JSON: send {"set": {"<point>": <value>}}' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { kind: 'reject', id: undefined, error: 'the command must be a JSON object: {"set": {"<point>": <value>}}' };
  }
  const command = json as Record<string, unknown>;
  if (!('set' in command) && ('result' in command || 'error' in command)) return { kind: 'ignore', why: 'an answer of this link, not a command' };
  const rawId = command.id;
  if (rawId !== undefined && typeof rawId !== 'string' && typeof rawId !== 'number') {
    return { kind: 'reject', id: undefined, error: '"id" must be a string or a number (it is echoed in the answer)' };
  }
  const id = rawId;
  if (!('set' in command)) {
    const rest = Object.fromEntries(Object.entries(command).filter(([k]) => k !== 'id'));
    return { kind: 'reject', id, error: `no "set" in the command: points to write go inside it, e.g. ${JSON.stringify({ set: rest }).slice(0, 200)}` };
  }
  const unknown = Object.keys(command).filter((k) => k !== 'set' && k !== 'id');
  if (unknown.length > 0) {
    return { kind: 'reject', id, error: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: a command is {"set": {...}} with an optional "id"` };
  }
  const set = command.set;
  if (typeof set !== 'object' || set === null || Array.isArray(set) || Object.keys(set).length === 0) {
    return { kind: 'reject', id, error: '"set" must be an object naming at least one point: {"set": {"<point>": <value>}}' };
  }
  const writes: PlannedWrite[] = [];
  const refused = new Map<string, string>();
  for (const [name, value] of Object.entries(set as Record<string, unknown>)) {
    const point = model.pointsByName.get(name);
    if (!point) {
      refused.set(name, `unknown point: model ${model.model} has no point "${name}"`);
      continue;
    }
    if (!point.writable) {
      refused.set(name, `read-only: point "${name}" (${point.function} ${point.address}) is not writable in model ${model.model}`);
      continue;
    }
    const encoded = encodeValue(point, value);
    if (!encoded.ok) {
      refused.set(name, encoded.error);
      continue;
    }
    const request: BusRequest =
      'bit' in encoded
        ? { op: 'writeCoil', unitId, address: point.address, value: encoded.bit }
        : encoded.registers.length === 1
          ? { op: 'writeRegister', unitId, address: point.address, value: encoded.registers[0] ?? 0 }
          : { op: 'writeRegisters', unitId, address: point.address, values: encoded.registers };
    writes.push({ point, value: value as PointValue, request });
  }
  return { kind: 'set', id, names: Object.keys(set), writes, refused };
}

/** `{"result": {"<point>": {"ok": true, "value": v} | {"ok": false, "error": "..."}}, "id"?: ...}` */
export function resultPayload(id: CommandId | undefined, results: ReadonlyMap<string, PointResult>): Uint8Array {
  const body: Record<string, unknown> = { result: Object.fromEntries(results) };
  if (id !== undefined) body.id = id;
  return encoder.encode(JSON.stringify(body));
}

/** `{"error": "...", "id"?: ...}`: the command as a whole was not understood. */
export function errorPayload(id: CommandId | undefined, error: string): Uint8Array {
  const body: Record<string, unknown> = { error };
  if (id !== undefined) body.id = id;
  return encoder.encode(JSON.stringify(body));
}
