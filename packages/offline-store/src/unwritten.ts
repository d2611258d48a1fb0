import type { KeyState } from './log-state.js';

/**
 * An appended record not written yet, kept as its parts: it is encoded only when written, so a
 * reading the hub acknowledges within the sync interval (the usual case) is never encoded at all.
 * `dead` once acknowledged or dropped: it is then never written.
 */
export interface Unwritten {
  readonly seq: number;
  readonly key: KeyState;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly time: number;
  /** Its encoded size. */
  readonly size: number;
  dead: boolean;
}

/** Consecutive groups of at most `limit` bytes (a record larger than `limit` alone in its group). */
export function splitBySize(records: readonly Unwritten[], limit: number): Unwritten[][] {
  const groups: Unwritten[][] = [];
  let current: Unwritten[] = [];
  let bytes = 0;
  for (const r of records) {
    if (current.length > 0 && bytes + r.size > limit) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += r.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export function findBySeq(records: readonly Unwritten[], seq: number): Unwritten | undefined {
  let lo = 0;
  let hi = records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = records[mid]!.seq;
    if (s === seq) return records[mid];
    if (s < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
