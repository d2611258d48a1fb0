import {
  CancelledError,
  LinkError,
  parseSubdeviceKey,
  systemClock,
  silentLogger,
  subdeviceKey,
  toGatewayError,
  TypedEmitter,
  ValidationError,
  withDeadline,
  type CallOptions,
  type SendOptions,
  type Clock,
  type DeliverFirmwareOptions,
  type FirmwareDeliveryResult,
  type FirmwareImage,
  type LinkCapabilities,
  type Logger,
  type SubdeviceAttachment,
  type SubdeviceId,
  type SubdeviceLink,
  type SubdeviceLinkEvents,
  type Subscription,
} from '@iotgw/domain';
import { BusCounters, type ModbusBusMetrics } from './bus/bus-metrics.js';
import { ModbusBus } from './bus/modbus-bus.js';
import type { ConnectionTarget } from './bus/modbus-connection.js';
import type { ModbusModel } from './model/modbus-model.js';
import { interFrameGapMs, type ModbusLinkOptions } from './modbus-link.options.js';
import { ModbusUnit, type UnitListener } from './unit/modbus-unit.js';
import { errorPayload, parseCommand, resultPayload, type PointResult } from './unit/unit-command.js';
import type { Reading } from './unit/report-gate.js';

/** Largest command `send` takes: a JSON object naming points, far below any real need. */
export const MODBUS_MAX_COMMAND_BYTES = 4096;
/** Default deadline of `send` (all of a command's writes, waiting for the bus included). */
export const MODBUS_SEND_TIMEOUT_MS = 30_000;

export interface ModbusLinkContext {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Aborting it stops the link (as `stop`). */
  readonly signal?: AbortSignal;
}

const encoder = new TextEncoder();

/**
 * SubdeviceLink for Modbus units on one RTU bus (serial port) or one Modbus TCP connection. Each
 * unit is a subdevice: attached once it first answers, its poll cycles emitted as JSON readings
 * (`data`), `{"set": {...}}` commands written to its registers and answered as `data`
 * (`{"result": {...}}`). Modbus has no firmware transfer: `deliverFirmware` always rejects.
 * Build it with `createModbusLink` (options validated, model files loaded).
 */
export class ModbusSubdeviceLink implements SubdeviceLink {
  readonly name: string;
  readonly capabilities: LinkCapabilities = Object.freeze({ maxPayloadSize: MODBUS_MAX_COMMAND_BYTES, isReliable: true, supportsFirmware: false });
  readonly #events: TypedEmitter<SubdeviceLinkEvents>;
  readonly #units: readonly ModbusUnit[];
  readonly #byKey: ReadonlyMap<string, ModbusUnit>;
  readonly #attached = new Map<string, SubdeviceAttachment>();
  readonly #counters = new BusCounters();
  readonly #bus: ModbusBus;
  readonly #logger: Logger;
  readonly #clock: Clock;

  /** `models[i]` is the model of `options.units[i]`. */
  constructor(options: ModbusLinkOptions, models: readonly ModbusModel[], context: ModbusLinkContext = {}) {
    const target = targetOf(options);
    this.name = options.name ?? (target.kind === 'rtu' ? `modbus-rtu:${target.path}` : `modbus-tcp:${target.host}:${target.port}`);
    this.#logger = (context.logger ?? silentLogger).child({ link: this.name });
    this.#clock = context.clock ?? systemClock;
    this.#events = new TypedEmitter((error, event) => this.#logger.error(`a '${event}' listener of ${this.name} threw: ${String(error)}`));
    const listener = this.#listener();
    this.#units = options.units.map((u, i) => {
      const model = models[i];
      if (!model) throw new ValidationError(`units[${i}] has no model`);
      return new ModbusUnit(
        {
          subdevice: parseSubdeviceKey(u.id),
          unitId: u.unit,
          model,
          pollIntervalMs: u.pollIntervalMs,
          reportOnChange: u.reportOnChange ?? options.reportOnChange,
          minReportIntervalMs: u.minReportIntervalMs ?? options.minReportIntervalMs,
          offlineAfterFailures: options.offlineAfterFailures,
          retry: options.retry,
          downPollIntervalMs: options.downPollIntervalMs,
        },
        listener,
      );
    });
    this.#byKey = new Map(this.#units.map((u) => [u.key, u]));
    this.#bus = new ModbusBus(
      {
        name: this.name,
        target,
        requestTimeoutMs: options.requestTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        crcRetries: options.crcRetries,
        interFrameGapMs: options.rtu ? interFrameGapMs(options.rtu) : 0,
        reconnect: options.reconnect,
      },
      this.#units,
      this.#counters,
      this.#clock,
      this.#logger,
      (error) => {
        this.#logger.warn(error.message);
        this.#events.emit('error', error);
      },
    );
    context.signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  on<K extends keyof SubdeviceLinkEvents & string>(event: K, listener: SubdeviceLinkEvents[K]): Subscription {
    return this.#events.on(event, listener);
  }

  /** The subdevices this link serves (attached or not). */
  subdevices(): SubdeviceId[] {
    return this.#units.map((u) => u.subdevice);
  }

  attachedSubdevices(): SubdeviceAttachment[] {
    return [...this.#attached.values()];
  }

  /** Opens the port or connection (see ModbusBus.start) and starts polling. */
  async start(options: CallOptions = {}): Promise<void> {
    await this.#bus.start(options);
  }

  /** Stops polling, detaches (`stopped`) every attached unit, closes the port. Idempotent. */
  async stop(_options: CallOptions = {}): Promise<void> {
    if (!this.#bus.running) return;
    await this.#bus.stop();
    for (const unit of this.#units) unit.stop();
  }

  /** The bus's counters and gauges (see ModbusBusMetrics). */
  metrics(): ModbusBusMetrics {
    return this.#bus.metrics();
  }

  /**
   * Runs a command (`{"set": {"<point>": value}, "id"?: ...}`) and answers it as a `data` event on
   * the same subdevice before resolving: `{"result": {...}}` per point, or `{"error": "..."}` for a
   * payload that is no command. Points refused by the model (unknown, read-only, out of range, not
   * a value of their type) never reach the bus; the others are written in the command's order.
   * Rejects only as the port says: LinkError link.unknown_subdevice (not attached), ValidationError
   * (larger than maxPayloadSize), TimeoutError / CancelledError (the writes not yet run are dropped
   * and answered as not written).
   */
  async send(subdevice: SubdeviceId, payload: Uint8Array, options: SendOptions = {}): Promise<void> {
    const unit = this.#require(subdevice);
    // A Modbus unit has registers, not topics: commands come on `data`, readings go up on `data`.
    if (options.channel !== undefined && options.channel !== 'data') {
      throw new LinkError('link.unavailable', `${unit.key} is a Modbus unit: it takes commands on channel "data" only, not "${options.channel}"`);
    }
    if (payload.length > this.capabilities.maxPayloadSize) {
      throw new ValidationError(`command of ${payload.length} bytes is larger than ${this.capabilities.maxPayloadSize}: send fewer points per command`);
    }
    const command = parseCommand(payload, unit.settings.model, unit.unitId);
    if (command.kind === 'ignore') {
      this.#logger.debug(`ignoring a downlink for ${unit.key}: ${command.why}`);
      return;
    }
    if (command.kind === 'reject') {
      this.#logger.warn(`refusing a command for ${unit.key}: ${command.error}`, { subdevice: unit.key });
      this.#emitData(unit, errorPayload(command.id, command.error));
      return;
    }
    const results = new Map<string, PointResult>(command.names.map((n) => [n, { ok: false, error: 'not written' }]));
    for (const [name, error] of command.refused) results.set(name, { ok: false, error });
    const queued = command.writes.map((w) => ({ name: w.point.name, handle: unit.write(w) }));
    this.#bus.wake();
    let failure: Error | undefined;
    try {
      await withDeadline(`command to ${unit.key}`, options, MODBUS_SEND_TIMEOUT_MS, () => Promise.all(queued.map((q) => q.handle.result)));
    } catch (error) {
      failure = toGatewayError(error);
      const why = error instanceof CancelledError ? 'not written: the command was cancelled' : `not written: the bus did not get to it in time (${failure.message})`;
      for (const q of queued) q.handle.cancel(why);
    }
    for (const q of queued) results.set(q.name, await q.handle.result);
    for (const [name, r] of results) if (!r.ok) this.#logger.warn(`${unit.key}: set ${name} failed: ${r.error}`, { subdevice: unit.key });
    this.#emitData(unit, resultPayload(command.id, results));
    if (failure) throw failure;
  }

  /** Modbus has no standard way to carry firmware: always rejects, at once, saying so. */
  deliverFirmware(subdevice: SubdeviceId, _image: FirmwareImage, _options: DeliverFirmwareOptions = {}): Promise<FirmwareDeliveryResult> {
    return Promise.reject(
      new LinkError(
        'link.unavailable',
        `${subdeviceKey(subdevice)} is on Modbus link ${this.name}: Modbus has no standard firmware transfer, so iotgw cannot update it (use the device maker's tool)`,
      ),
    );
  }

  #require(subdevice: SubdeviceId): ModbusUnit {
    const key = subdeviceKey(subdevice);
    const unit = this.#attached.has(key) ? this.#byKey.get(key) : undefined;
    if (!unit) {
      const why = this.#byKey.has(key) ? 'it is not answering (offline)' : 'it is not one of its units';
      throw new LinkError('link.unknown_subdevice', `${key} is not attached to ${this.name}: ${why}`);
    }
    return unit;
  }

  #emitData(unit: ModbusUnit, payload: Uint8Array): void {
    this.#events.emit('data', { subdevice: unit.subdevice, payload });
  }

  #listener(): UnitListener {
    return {
      attached: (unit, firmwareVersion) => {
        const attachment: SubdeviceAttachment = { subdevice: unit.subdevice, firmwareVersion };
        this.#attached.set(unit.key, attachment);
        this.#logger.info(`unit ${unit.unitId} answers: ${unit.key} attached (firmware ${firmwareVersion})`, { subdevice: unit.key });
        this.#events.emit('attached', attachment);
      },
      detached: (unit, reason) => {
        if (!this.#attached.delete(unit.key)) return;
        if (reason !== 'stopped') this.#logger.warn(`unit ${unit.unitId} lost: ${unit.key} detached (${reason})`, { subdevice: unit.key });
        this.#events.emit('detached', { subdevice: unit.subdevice, reason });
      },
      reading: (unit, reading: Reading) => {
        this.#counters.add('readings');
        this.#emitData(unit, encoder.encode(JSON.stringify(reading)));
      },
      cycleStarted: (_unit, lagMs) => this.#counters.cycleStarted(lagMs),
      readingSkipped: (_unit, why) => this.#counters.add(why === 'unchanged' ? 'readingsUnchanged' : 'readingsCoalesced'),
      problem: (unit, message, exceptionCode) => {
        this.#logger.warn(message, { subdevice: unit.key });
        const details = { subdevice: unit.key, unitId: unit.unitId };
        this.#events.emit('error', new LinkError('link.protocol', `${this.name}: ${message}`, exceptionCode === undefined ? { details } : { details, linkCode: exceptionCode }));
      },
    };
  }
}

function targetOf(options: ModbusLinkOptions): ConnectionTarget {
  if (options.rtu) return { kind: 'rtu', ...options.rtu };
  if (options.tcp) return { kind: 'tcp', ...options.tcp };
  throw new ValidationError('a Modbus link needs "rtu" or "tcp" options: validate them with modbusLinkOptionsSchema');
}
