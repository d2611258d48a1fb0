import { Backoff, subdeviceKey, type DetachReason, type SubdeviceId } from '@iotgw/domain';
import type { BusOutcome, BusRequest } from '../bus/bus-request.js';
import { decodeFirmwareVersion, UNKNOWN_FIRMWARE_VERSION } from '../model/firmware-version.js';
import type { ModbusModel } from '../model/modbus-model.js';
import { decodeRegisters, type PointValue } from '../model/point-codec.js';
import { planReads, type ReadSpan } from '../model/read-plan.js';
import { ReportGate, type Reading, type ReportPolicy } from './report-gate.js';
import type { PlannedWrite, PointResult } from './unit-command.js';

/** What a unit tells the bus (which turns it into link events and metrics). */
export interface UnitListener {
  attached(unit: ModbusUnit, firmwareVersion: string): void;
  detached(unit: ModbusUnit, reason: DetachReason): void;
  reading(unit: ModbusUnit, reading: Reading): void;
  cycleStarted(unit: ModbusUnit, lagMs: number): void;
  readingSkipped(unit: ModbusUnit, why: 'unchanged' | 'coalesced'): void;
  /** Something the unit answered that the user should fix (an exception for a mapped address). */
  problem(unit: ModbusUnit, message: string, exceptionCode?: number): void;
}

export interface UnitSettings extends ReportPolicy {
  readonly subdevice: SubdeviceId;
  readonly unitId: number;
  readonly model: ModbusModel;
  /** Overrides every point's poll interval. */
  readonly pollIntervalMs: number | undefined;
  readonly offlineAfterFailures: number;
  readonly retry: { readonly initialDelayMs?: number; readonly factor?: number; readonly jitter?: number };
  readonly downPollIntervalMs: number;
}

/** A piece of work for the bus: one transaction of this unit. */
export type UnitWork =
  | { readonly kind: 'read'; readonly request: BusRequest; readonly span: ReadSpan }
  | { readonly kind: 'version'; readonly request: BusRequest }
  | { readonly kind: 'write'; readonly request: BusRequest; readonly job: WriteJob };

interface WriteJob {
  readonly planned: PlannedWrite;
  readonly settle: (result: PointResult) => void;
  done: boolean;
}

interface PollGroup {
  readonly intervalMs: number;
  readonly spans: readonly ReadSpan[];
  nextDueAt: number;
}

interface Cycle {
  readonly dueAt: number;
  readonly groups: readonly PollGroup[];
  readonly work: UnitWork[];
  readonly values: Map<string, PointValue>;
}

type UnitState = 'unknown' | 'attached' | 'down';

/**
 * One Modbus unit on a bus (one subdevice): its poll schedule, its state (not yet heard, attached,
 * down), its queued writes, and what its answers mean. It never touches the bus: the bus asks it
 * for its next transaction (`next`) in turn with the other units and hands back the outcome
 * (`complete`).
 *
 * A poll cycle that gets no answer (timeout, or a bad CRC still bad after the retries) ends at
 * once — one timeout per turn at most — and the unit is tried again after a backoff that grows up
 * to `downPollIntervalMs`; after `offlineAfterFailures` such cycles in a row it is detached
 * (`keepalive_timeout`), and it is attached again by the first cycle it answers.
 */
export class ModbusUnit {
  readonly key: string;
  firmwareVersion = UNKNOWN_FIRMWARE_VERSION;
  #state: UnitState = 'unknown';
  #failures = 0;
  #retryAt: number | undefined;
  #cycle: Cycle | undefined;
  readonly #groups: PollGroup[];
  readonly #writes: WriteJob[] = [];
  readonly #backoff: Backoff;
  readonly #gate: ReportGate;
  readonly #failingSpans = new Set<string>();
  #silentReported = false;

  constructor(
    readonly settings: UnitSettings,
    private readonly listener: UnitListener,
  ) {
    this.key = subdeviceKey(settings.subdevice);
    const { model } = settings;
    const byInterval = new Map<number, typeof model.points[number][]>();
    for (const p of model.points) {
      const interval = settings.pollIntervalMs ?? p.pollIntervalMs;
      byInterval.set(interval, [...(byInterval.get(interval) ?? []), p]);
    }
    this.#groups = [...byInterval].map(([intervalMs, points]) => ({ intervalMs, spans: planReads(points, model.maxReadGap), nextDueAt: 0 }));
    this.#backoff = new Backoff({ ...settings.retry, maxDelayMs: settings.downPollIntervalMs });
    this.#gate = new ReportGate(model.pointsByName, settings);
  }

  get subdevice(): SubdeviceId {
    return this.settings.subdevice;
  }

  get unitId(): number {
    return this.settings.unitId;
  }

  get attached(): boolean {
    return this.#state === 'attached';
  }

  get down(): boolean {
    return this.#state === 'down';
  }

  /** Transactions this unit would run if the bus were free now. */
  pending(now: number): number {
    const writes = this.#writes.filter((w) => !w.done).length;
    if (this.#cycle) return writes + this.#cycle.work.length;
    return writes + this.#dueGroups(now).reduce((n, g) => n + g.spans.length, 0);
  }

  /** The earliest time this unit has something to do (a transaction or a held reading). */
  wakeAt(): number {
    if (this.#cycle || this.#writes.some((w) => !w.done)) return Number.NEGATIVE_INFINITY;
    const poll = this.#retryAt ?? Math.min(...this.#groups.map((g) => g.nextDueAt));
    return Math.min(poll, this.#gate.pendingAt ?? Number.POSITIVE_INFINITY);
  }

  /** Its next transaction, starting a poll cycle if one is due; undefined when it has none now. */
  next(now: number): UnitWork | undefined {
    for (;;) {
      const job = this.#writes[0];
      if (!job) break;
      if (!job.done) return { kind: 'write', request: job.planned.request, job };
      this.#writes.shift();
    }
    if (!this.#cycle) this.#cycle = this.#startCycle(now);
    return this.#cycle?.work[0];
  }

  /** The outcome of `work` (the bus already retried bad CRCs). */
  complete(work: UnitWork, outcome: BusOutcome, now: number): void {
    if (work.kind === 'write') {
      this.#completeWrite(work.job, outcome, now);
      return;
    }
    const cycle = this.#cycle;
    if (!cycle || cycle.work[0] !== work) return;
    if (!outcome.ok && outcome.kind !== 'exception') {
      this.#cycle = undefined;
      this.#failed(now, outcome.message);
      return;
    }
    cycle.work.shift();
    if (work.kind === 'version') {
      this.firmwareVersion = outcome.ok && outcome.registers ? decodeFirmwareVersion(this.settings.model.firmwareVersion!, outcome.registers) : UNKNOWN_FIRMWARE_VERSION;
      if (!outcome.ok) this.listener.problem(this, `unit ${this.unitId} refused to read its version register (${outcome.message}): reporting version "unknown"`, outcome.exceptionCode);
    } else if (outcome.ok) {
      this.#failingSpans.delete(spanKey(work.span));
      for (const point of work.span.points) {
        const offset = point.address - work.span.address;
        if (outcome.bits) cycle.values.set(point.name, outcome.bits[offset] === true);
        else if (outcome.registers) cycle.values.set(point.name, decodeRegisters(point, outcome.registers.slice(offset, offset + point.width)));
      }
    } else if (!this.#failingSpans.has(spanKey(work.span))) {
      this.#failingSpans.add(spanKey(work.span));
      const names = work.span.points.map((p) => p.name).join(', ');
      this.listener.problem(this, `unit ${this.unitId} answered "${outcome.message}" to ${work.span.count} ${work.span.function}(s) at ${work.span.address}: ${names} left out of its readings until it answers (check model ${this.settings.model.model})`, outcome.exceptionCode);
    }
    if (cycle.work.length === 0) this.#cycleDone(cycle, now);
  }

  /** A held reading whose minimum interval has passed goes out now. */
  flushReports(now: number): void {
    const due = this.#gate.takeDue(now);
    if (due) this.listener.reading(this, due);
  }

  /** Queues a write; settles with the point's result (never rejects). */
  write(planned: PlannedWrite): { result: Promise<PointResult>; cancel: (why: string) => void } {
    let job: WriteJob | undefined;
    const result = new Promise<PointResult>((resolve) => {
      job = { planned, done: false, settle: (r) => resolve(r) };
    });
    const queued = job!;
    this.#writes.push(queued);
    return { result, cancel: (why) => this.#settle(queued, { ok: false, error: why }) };
  }

  /** The port or connection went away: everything in flight fails, the unit is unknown again. */
  connectionLost(reason: string): void {
    this.#reset(`not written: ${reason}`);
    if (this.#state === 'attached') this.listener.detached(this, 'link_lost');
    this.#state = 'unknown';
  }

  /** The link stops. */
  stop(): void {
    this.#reset('not written: the link stopped');
    if (this.#state === 'attached') this.listener.detached(this, 'stopped');
    this.#state = 'unknown';
  }

  #reset(writeError: string): void {
    this.#cycle = undefined;
    for (const job of this.#writes.splice(0)) this.#settle(job, { ok: false, error: writeError });
    this.#failures = 0;
    this.#backoff.reset();
    this.#retryAt = undefined;
    this.#silentReported = false;
    for (const g of this.#groups) g.nextDueAt = 0;
    this.#gate.reset();
  }

  #dueGroups(now: number): PollGroup[] {
    if (this.#retryAt !== undefined) return now >= this.#retryAt ? this.#groups : [];
    return this.#groups.filter((g) => g.nextDueAt <= now);
  }

  #startCycle(now: number): Cycle | undefined {
    const groups = this.#dueGroups(now);
    if (groups.length === 0) return undefined;
    const dueAt = this.#retryAt ?? Math.min(...groups.map((g) => g.nextDueAt));
    const work: UnitWork[] = groups.flatMap((g) => g.spans).map((span) => ({ kind: 'read' as const, span, request: readRequest(this.unitId, span) }));
    const fw = this.settings.model.firmwareVersion;
    if (this.#state !== 'attached' && fw) {
      const request: BusRequest = { op: 'read', unitId: this.unitId, function: fw.function, address: fw.address, count: fw.count ?? 1 };
      work.unshift({ kind: 'version', request });
    }
    // Lag is how late a scheduled poll starts; the first poll and retries have no schedule to miss.
    if (dueAt > 0 && this.#retryAt === undefined) this.listener.cycleStarted(this, now - dueAt);
    return { dueAt, groups, work, values: new Map() };
  }

  #cycleDone(cycle: Cycle, now: number): void {
    this.#cycle = undefined;
    this.#answered();
    for (const g of cycle.groups) {
      // Missed turns are not made up: a late poll counts from now.
      g.nextDueAt = Math.max(g.nextDueAt + g.intervalMs, now);
      if (g.nextDueAt === now && g.intervalMs > 0) g.nextDueAt = now + g.intervalMs;
    }
    if (this.#state !== 'attached') {
      this.#state = 'attached';
      this.#gate.reset();
      this.listener.attached(this, this.firmwareVersion);
    }
    if (cycle.values.size === 0) return;
    const reading: Record<string, PointValue> = {};
    // The model's order, whatever order the reads ran in.
    for (const p of this.settings.model.points) {
      const v = cycle.values.get(p.name);
      if (v !== undefined) reading[p.name] = v;
    }
    const { verdict, replaced } = this.#gate.offer(reading, now);
    if (replaced) this.listener.readingSkipped(this, 'coalesced');
    if (verdict === 'report') this.listener.reading(this, reading);
    else if (verdict === 'unchanged') this.listener.readingSkipped(this, 'unchanged');
  }

  #completeWrite(job: WriteJob, outcome: BusOutcome, now: number): void {
    if (outcome.ok) {
      this.#answered();
      this.#settle(job, { ok: true, value: job.planned.value });
      return;
    }
    if (outcome.kind === 'exception') {
      this.#answered();
      this.#settle(job, { ok: false, error: `the unit refused the write: ${outcome.message}` });
      return;
    }
    this.#settle(job, { ok: false, error: `not confirmed: ${outcome.message} from unit ${this.unitId}` });
    // It did not answer: the rest of its queue would only cost one timeout each.
    for (const other of this.#writes.splice(0)) this.#settle(other, { ok: false, error: `not written: unit ${this.unitId} did not answer an earlier write` });
    this.#failed(now, outcome.message);
  }

  #settle(job: WriteJob, result: PointResult): void {
    if (job.done) return;
    job.done = true;
    job.settle(result);
  }

  #answered(): void {
    this.#failures = 0;
    this.#backoff.reset();
    this.#retryAt = undefined;
    this.#silentReported = false;
  }

  #failed(now: number, why: string): void {
    this.#failures++;
    this.#retryAt = now + this.#backoff.next();
    if (this.#failures < this.settings.offlineAfterFailures) return;
    if (this.#state === 'attached') {
      this.#state = 'down';
      for (const job of this.#writes.splice(0)) this.#settle(job, { ok: false, error: `not written: unit ${this.unitId} went offline` });
      this.listener.detached(this, 'keepalive_timeout');
    } else if (!this.#silentReported) {
      this.#state = 'down';
      this.#silentReported = true;
      this.listener.problem(this, `unit ${this.unitId} (${this.key}) does not answer (${this.#failures} polls in a row, last: ${why}); polling it every ${this.settings.downPollIntervalMs} ms at most until it does`);
    }
  }
}

function readRequest(unitId: number, span: ReadSpan): BusRequest {
  return { op: 'read', unitId, function: span.function, address: span.address, count: span.count };
}

function spanKey(span: ReadSpan): string {
  return `${span.function}:${span.address}:${span.count}`;
}
