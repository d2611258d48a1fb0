import type { ModbusPoint } from './modbus-model.js';
import type { ModbusFunction } from './modbus-model.schema.js';

/** One read on the bus: a contiguous span of one table, and the points it carries. */
export interface ReadSpan {
  readonly function: ModbusFunction;
  readonly address: number;
  /** Registers (or bits) read. */
  readonly count: number;
  readonly points: readonly ModbusPoint[];
}

/** The spec's limits per request: 125 registers (FC 3/4), 2000 bits (FC 1/2). */
const MAX_COUNT: Record<ModbusFunction, number> = { coil: 2000, discreteInput: 2000, holdingRegister: 125, inputRegister: 125 };

/**
 * Fewest reads that cover `points`: per table, sorted by address, neighbours joined while the
 * span stays within the spec's limit and the unused registers between them are at most
 * `maxReadGap` (default 0: many devices answer "illegal address" for holes in their map).
 */
export function planReads(points: readonly ModbusPoint[], maxReadGap = 0): ReadSpan[] {
  const spans: ReadSpan[] = [];
  const byTable = new Map<ModbusFunction, ModbusPoint[]>();
  for (const p of points) byTable.set(p.function, [...(byTable.get(p.function) ?? []), p]);
  for (const [fn, list] of byTable) {
    const sorted = [...list].sort((a, b) => a.address - b.address || b.width - a.width);
    let current: { address: number; end: number; points: ModbusPoint[] } | undefined;
    for (const p of sorted) {
      const end = p.address + p.width;
      if (current && p.address <= current.end + maxReadGap && Math.max(current.end, end) - current.address <= MAX_COUNT[fn]) {
        current.end = Math.max(current.end, end);
        current.points.push(p);
        continue;
      }
      if (current) spans.push({ function: fn, address: current.address, count: current.end - current.address, points: current.points });
      current = { address: p.address, end, points: [p] };
    }
    if (current) spans.push({ function: fn, address: current.address, count: current.end - current.address, points: current.points });
  }
  return spans;
}
