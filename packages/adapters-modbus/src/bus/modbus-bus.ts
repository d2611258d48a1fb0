import { performance } from 'node:perf_hooks';
import {
  Backoff,
  CancelledError,
  LinkError,
  TimeoutError,
  toGatewayError,
  withDeadline,
  type BackoffPolicyOptions,
  type CallOptions,
  type Clock,
  type GatewayError,
  type Logger,
} from '@iotgw/domain';
import type { ModbusUnit, UnitWork } from '../unit/modbus-unit.js';
import type { BusCounters, ModbusBusMetrics } from './bus-metrics.js';
import type { BusOutcome, BusRequest } from './bus-request.js';
import { describeTarget, ModbusConnection, type ConnectionTarget } from './modbus-connection.js';

export interface BusSettings {
  readonly name: string;
  readonly target: ConnectionTarget;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly crcRetries: number;
  /** Silence between the end of one transaction and the next request (0 over TCP). */
  readonly interFrameGapMs: number;
  readonly reconnect: BackoffPolicyOptions;
}

/** Longest idle sleep: the loop looks around at least this often even with nothing due. */
const MAX_IDLE_MS = 60_000;

/**
 * One Modbus bus: one request in flight, units served in turn (round robin over the units that
 * have a transaction ready, so a unit with a long poll or a queue of writes gets one transaction
 * per round like everyone else), the inter-frame gap kept between transactions, bad CRCs asked
 * again at once, and a lost port or connection reopened with backoff for as long as the link
 * runs. All of it in one loop, so nothing about the bus's order depends on timers racing.
 */
export class ModbusBus {
  readonly #connection: ModbusConnection;
  readonly #reconnect: Backoff;
  #loop: Promise<void> | undefined;
  #stop: AbortController | undefined;
  #wake: AbortController | undefined;
  #turn = -1;
  #lastFrameAt = Number.NEGATIVE_INFINITY;
  #reopenFailures = 0;
  /** Set when the port was lost, until it is open again: one loss is handled once. */
  #down = false;

  constructor(
    private readonly settings: BusSettings,
    private readonly units: readonly ModbusUnit[],
    private readonly counters: BusCounters,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onError: (error: GatewayError) => void,
  ) {
    this.#connection = new ModbusConnection(settings.target, (reason) => this.#lost(reason));
    this.#reconnect = new Backoff({ initialDelayMs: 500, maxDelayMs: 10_000, jitter: 0.1, ...settings.reconnect });
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  /**
   * Opens the port (trying again with backoff until the deadline, default 10 s: a USB adapter may
   * still be enumerating), then starts polling. Rejects with LinkError link.unavailable naming the
   * port or host and the last reason.
   */
  async start(options: CallOptions = {}): Promise<void> {
    if (this.#loop) return;
    const what = describeTarget(this.settings.target);
    let last: unknown;
    try {
      await withDeadline(`opening ${what}`, options, 10_000, async (signal) => {
        for (;;) {
          try {
            await this.#connection.open(this.settings.connectTimeoutMs);
            return;
          } catch (error) {
            last = error;
            await this.clock.sleep(this.#reconnect.next(), signal);
          }
        }
      });
    } catch (error) {
      await this.#connection.close();
      if (error instanceof TimeoutError) {
        const reason = last ? (toGatewayError(last).details.reason ?? toGatewayError(last).message) : undefined;
        const why = typeof reason === 'string' ? ` (last try: ${reason})` : '';
        throw new LinkError('link.unavailable', `${this.settings.name}: could not open ${what} within ${error.timeoutMs} ms${why}`, { cause: last ?? error });
      }
      throw error;
    }
    this.#reconnect.reset();
    const stop = new AbortController();
    this.#stop = stop;
    this.#loop = this.#run(stop.signal).catch((error: unknown) => {
      // The loop handles every failure itself; reaching here is a bug, said loudly.
      this.logger.error(`Modbus bus loop ended: ${toGatewayError(error).message}`);
    });
  }

  /** Stops polling (an in-flight request is abandoned) and closes the port. Units are told by the link. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#loop = undefined;
    this.#stop?.abort();
    this.#wake?.abort();
    await loop;
    await this.#connection.close();
  }

  /** Something new to do (a command): stop idling. */
  wake(): void {
    this.#wake?.abort();
  }

  metrics(): ModbusBusMetrics {
    const now = this.clock.now();
    return this.counters.snapshot({
      link: this.settings.name,
      open: this.#connection.isOpen,
      queueDepth: this.units.reduce((n, u) => n + u.pending(now), 0),
      unitsAttached: this.units.filter((u) => u.attached).length,
      unitsDown: this.units.filter((u) => u.down).length,
    });
  }

  async #run(signal: AbortSignal): Promise<void> {
    const stopped = aborted(signal);
    while (!signal.aborted) {
      if (!this.#connection.isOpen) {
        // modbus-serial's TCP port can end without a word: a socket 'error' (a reset) clears its
        // open flag first, and then its 'close' is not passed on. Found closed, it is lost all the same.
        this.#lost('closed (connection reset?)');
        await this.#reopen(signal);
        continue;
      }
      const now = this.clock.now();
      for (const unit of this.units) unit.flushReports(now);
      const pick = this.#pick(now);
      if (!pick) {
        await this.#idle(now, signal);
        continue;
      }
      const outcome = await Promise.race([this.#transact(pick.work.request, signal), stopped]);
      if (!outcome) return;
      if (!outcome.ok && outcome.kind === 'port') {
        this.#lost(outcome.message);
        continue;
      }
      pick.unit.complete(pick.work, outcome, this.clock.now());
    }
  }

  /** The next unit after the last one served that has a transaction ready. */
  #pick(now: number): { unit: ModbusUnit; work: UnitWork } | undefined {
    const n = this.units.length;
    for (let i = 1; i <= n; i++) {
      const index = (this.#turn + i) % n;
      const unit = this.units[index];
      const work = unit?.next(now);
      if (unit && work) {
        this.#turn = index;
        return { unit, work };
      }
    }
    return undefined;
  }

  async #transact(request: BusRequest, signal: AbortSignal): Promise<BusOutcome> {
    for (let attempt = 0; ; attempt++) {
      await this.#gap();
      this.counters.add('requests');
      const sentAt = performance.now();
      const outcome = await this.#connection.execute(request, this.settings.requestTimeoutMs);
      this.#lastFrameAt = performance.now();
      if (outcome.ok || outcome.kind === 'exception') this.counters.answeredIn(this.#lastFrameAt - sentAt);
      if (outcome.ok) {
        this.counters.add('responses');
        return outcome;
      }
      if (outcome.kind === 'timeout') this.counters.add('timeouts');
      else if (outcome.kind === 'crc') this.counters.add('crcErrors');
      else if (outcome.kind === 'frame') this.counters.add('frameErrors');
      else if (outcome.kind === 'exception') this.counters.add('exceptions');
      const garbled = outcome.kind === 'crc' || outcome.kind === 'frame';
      if (!garbled || attempt >= this.settings.crcRetries || signal.aborted || !this.#connection.isOpen) return outcome;
      this.counters.add('retries');
    }
  }

  /**
   * Keeps the line silent for the inter-frame gap after the last frame (counted from when its
   * answer reached us, which is after its last byte left the wire: never short). Node's timers step
   * in whole milliseconds (a 1.75 ms wait would become 2 to 3 ms, a tenth of a poll at 115200
   * baud), so a timer covers the whole milliseconds and turns of the event loop (setImmediate:
   * other work still runs) the fraction left, or any shortfall of a timer that fired early.
   */
  async #gap(): Promise<void> {
    const until = this.#lastFrameAt + this.settings.interFrameGapMs;
    const whole = Math.floor(until - performance.now());
    if (whole >= 1) await new Promise((resolve) => setTimeout(resolve, whole));
    while (performance.now() < until) await new Promise((resolve) => setImmediate(resolve));
  }

  async #idle(now: number, signal: AbortSignal): Promise<void> {
    const wakeAt = Math.min(...this.units.map((u) => u.wakeAt()));
    const ms = Math.min(MAX_IDLE_MS, Math.max(1, Math.ceil(wakeAt - now)));
    const wake = new AbortController();
    this.#wake = wake;
    try {
      await this.clock.sleep(ms, AbortSignal.any([signal, wake.signal]));
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    } finally {
      this.#wake = undefined;
    }
  }

  async #reopen(signal: AbortSignal): Promise<void> {
    const what = describeTarget(this.settings.target);
    try {
      await this.clock.sleep(this.#reconnect.next(), signal);
      await this.#connection.open(this.settings.connectTimeoutMs);
    } catch (error) {
      if (signal.aborted) return;
      this.#reopenFailures++;
      // First failure and every tenth after it: a port gone for hours must not flood the log.
      if (this.#reopenFailures % 10 === 1) this.logger.warn(`${this.settings.name}: ${toGatewayError(error).message}; trying again (attempt ${this.#reopenFailures})`);
      return;
    }
    this.logger.info(`${this.settings.name}: ${what} open again after ${this.#reopenFailures + 1} attempt(s)`);
    this.#reopenFailures = 0;
    this.#reconnect.reset();
    this.#down = false;
    this.#lastFrameAt = Number.NEGATIVE_INFINITY;
  }

  /** The port or connection is gone: every unit on it is unreachable until it is reopened. */
  #lost(reason: string): void {
    if (!this.#loop || this.#down) return;
    this.#down = true;
    this.counters.add('disconnects');
    const what = describeTarget(this.settings.target);
    this.onError(new LinkError('link.disconnected', `${this.settings.name}: ${what} lost (${reason}); reopening it`));
    for (const unit of this.units) unit.connectionLost(`${what} was lost`);
    void this.#connection.close(); // close never rejects; the loop reopens on its next turn
    this.#wake?.abort();
  }
}

/** Resolves with undefined when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}
