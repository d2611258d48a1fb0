import { readFileSync } from 'node:fs';

/** A reading the gateway acknowledged on the link: from then on it is the gateway's to deliver. */
export interface AckRecord {
  readonly boot: number;
  readonly seq: number;
  readonly ackAt: number;
  /** When the subdevice measured it. */
  readonly ts: number;
}

/** A reading as the hub received it. */
export interface Receipt {
  readonly sub: string;
  readonly boot: number;
  readonly seq: number;
  readonly ts: number;
  readonly at: number;
}

export interface Accounting {
  /** Readings the gateway acknowledged on the link. */
  readonly produced: number;
  /** Of those, how many reached the hub (at least once). */
  readonly delivered: number;
  /** Acknowledged by the gateway, never at the hub. */
  readonly lost: number;
  /** Receipts beyond the first of a reading (QoS 1 at-least-once allows them). */
  readonly duplicated: number;
  /** First receipts of a reading older than one the hub already had from that subdevice. */
  readonly reordered: number;
  /** At the hub but never acknowledged on the link (the ack was lost, e.g. the gateway was killed right after publishing). */
  readonly unacknowledgedDelivered: number;
  /** Measured-to-hub latency of first receipts, ms. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Longest silence between two readings at the hub, ms (a stall shows here). */
  readonly longestGapMs: number;
  /**
   * From the end of the fault until what the gateway held from before it has arrived (lost
   * readings aside: they are counted as lost) and a reading measured after it has too; undefined
   * without a fault end, or when no reading measured after it ever arrived.
   */
  readonly recoverMs: number | undefined;
  /** Up to 10 examples of lost and reordered readings, `sub#boot.seq`. */
  readonly examples: { readonly lost: string[]; readonly reordered: string[] };
}

const keyOf = (boot: number, seq: number): string => `${boot}.${seq}`;
const before = (a: { boot: number; seq: number }, b: { boot: number; seq: number }): boolean => a.boot < b.boot || (a.boot === b.boot && a.seq < b.seq);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** The lines of a file that may not exist yet (nothing received, nothing acknowledged). */
function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/** Reads the hub's received file; lines that are not readings (or torn by a kill) are skipped. */
export function readReceipts(file: string): Receipt[] {
  const out: Receipt[] = [];
  for (const line of linesOf(file)) {
    if (!line) continue;
    try {
      const record = JSON.parse(line) as { at: number; payload: string };
      const reading = JSON.parse(record.payload) as { sub?: unknown; boot?: unknown; seq?: unknown; ts?: unknown };
      if (typeof reading.sub !== 'string' || typeof reading.boot !== 'number' || typeof reading.seq !== 'number' || typeof reading.ts !== 'number') continue;
      out.push({ sub: reading.sub, boot: reading.boot, seq: reading.seq, ts: reading.ts, at: record.at });
    } catch {
      // A line torn by kill -9, or a payload that is not one of our readings.
    }
  }
  return out;
}

/** Reads a subdevice's acked file (`boot seq ackAt ts` per line). */
export function readAcks(file: string): AckRecord[] {
  const out: AckRecord[] = [];
  for (const line of linesOf(file)) {
    const [boot, seq, ackAt, ts] = line.split(' ').map(Number);
    if (boot === undefined || seq === undefined || ackAt === undefined || ts === undefined || [boot, seq, ackAt, ts].some((n) => !Number.isFinite(n))) continue;
    out.push({ boot, seq, ackAt, ts });
  }
  return out;
}

/**
 * Counts one subdevice's readings: what the gateway took (acks), what the hub got (receipts, in
 * the order the hub got them), and how long delivery took to recover after `healAt`.
 */
export function account(acks: readonly AckRecord[], receipts: readonly Receipt[], sub: string, healAt?: number): Accounting {
  const ackedKeys = new Map<string, AckRecord>();
  for (const a of acks) ackedKeys.set(keyOf(a.boot, a.seq), a);
  const firstAt = new Map<string, number>();
  let duplicated = 0;
  let reordered = 0;
  let newest: { boot: number; seq: number } | undefined;
  const latencies: number[] = [];
  const reorderedExamples: string[] = [];
  let longestGapMs = 0;
  let lastAt: number | undefined;
  for (const r of receipts) {
    if (r.sub !== sub) continue;
    if (lastAt !== undefined) longestGapMs = Math.max(longestGapMs, r.at - lastAt);
    lastAt = r.at;
    const key = keyOf(r.boot, r.seq);
    if (firstAt.has(key)) {
      duplicated += 1;
      continue;
    }
    firstAt.set(key, r.at);
    latencies.push(r.at - r.ts);
    if (newest && before(r, newest)) {
      reordered += 1;
      if (reorderedExamples.length < 10) reorderedExamples.push(`${sub}#${key} after #${keyOf(newest.boot, newest.seq)}`);
    } else {
      newest = { boot: r.boot, seq: r.seq };
    }
  }
  let delivered = 0;
  const lostExamples: string[] = [];
  for (const [key] of ackedKeys) {
    if (firstAt.has(key)) delivered += 1;
    else if (lostExamples.length < 10) lostExamples.push(`${sub}#${key}`);
  }
  let unacknowledgedDelivered = 0;
  for (const key of firstAt.keys()) if (!ackedKeys.has(key)) unacknowledgedDelivered += 1;
  latencies.sort((a, b) => a - b);
  return {
    produced: ackedKeys.size,
    delivered,
    lost: ackedKeys.size - delivered,
    duplicated,
    reordered,
    unacknowledgedDelivered,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    longestGapMs,
    recoverMs: healAt === undefined ? undefined : recoverTime(acks, firstAt, receipts, sub, healAt),
    examples: { lost: lostExamples, reordered: reorderedExamples },
  };
}

function recoverTime(acks: readonly AckRecord[], firstAt: Map<string, number>, receipts: readonly Receipt[], sub: string, healAt: number): number | undefined {
  let backlogDone = healAt;
  for (const a of acks) {
    if (a.ackAt > healAt) continue;
    // A reading that never arrived is counted as lost, not waited for here.
    const at = firstAt.get(keyOf(a.boot, a.seq));
    if (at !== undefined) backlogDone = Math.max(backlogDone, at);
  }
  const fresh = receipts.find((r) => r.sub === sub && r.ts >= healAt);
  if (!fresh) return undefined;
  return Math.max(backlogDone, fresh.at) - healAt;
}

/** Adds up several subdevices' accountings (latency and gaps: the worst). */
export function total(parts: readonly Accounting[]): Accounting {
  const sum = (f: (a: Accounting) => number): number => parts.reduce((n, a) => n + f(a), 0);
  const worst = (f: (a: Accounting) => number): number => parts.reduce((n, a) => Math.max(n, f(a)), 0);
  const recovers = parts.map((a) => a.recoverMs);
  return {
    produced: sum((a) => a.produced),
    delivered: sum((a) => a.delivered),
    lost: sum((a) => a.lost),
    duplicated: sum((a) => a.duplicated),
    reordered: sum((a) => a.reordered),
    unacknowledgedDelivered: sum((a) => a.unacknowledgedDelivered),
    latencyMs: { p50: worst((a) => a.latencyMs.p50), p99: worst((a) => a.latencyMs.p99), max: worst((a) => a.latencyMs.max) },
    longestGapMs: worst((a) => a.longestGapMs),
    recoverMs: recovers.some((r) => r === undefined) ? undefined : Math.max(0, ...(recovers as number[])),
    examples: { lost: parts.flatMap((a) => a.examples.lost).slice(0, 10), reordered: parts.flatMap((a) => a.examples.reordered).slice(0, 10) },
  };
}

export interface FlowWindow {
  /** Readings measured in the window that reached the hub. */
  readonly readings: number;
  /** Longest time without a reading at the hub inside the window (edges included), ms. */
  readonly longestGapMs: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

/** How one subdevice's readings flowed between `from` and `to` (e.g. during a flood). */
export function flowWindow(receipts: readonly Receipt[], sub: string, from: number, to: number): FlowWindow {
  const mine = receipts.filter((r) => r.sub === sub);
  const measured = mine.filter((r) => r.ts >= from && r.ts <= to);
  const arrivals = mine.filter((r) => r.at >= from && r.at <= to).map((r) => r.at);
  let last = from;
  let longestGapMs = 0;
  for (const at of [...arrivals, to]) {
    longestGapMs = Math.max(longestGapMs, at - last);
    last = at;
  }
  const latencies = measured.map((r) => r.at - r.ts).sort((a, b) => a - b);
  return {
    readings: measured.length,
    longestGapMs,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
  };
}
