import modbusSerial from 'modbus-serial';
import { LinkError, TimeoutError, toGatewayError, withDeadline } from '@iotgw/domain';
import type { ModbusLinkOptions } from '../modbus-link.options.js';
import { describeRequest, type BusOutcome, type BusRequest } from './bus-request.js';

// modbus-serial is CommonJS with `module.exports.default = module.exports`; its typings put the
// class on `default`, which is where NodeNext's view of the module finds it.
const ModbusClient = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusClient>;

export type ConnectionTarget =
  | ({ readonly kind: 'rtu' } & NonNullable<ModbusLinkOptions['rtu']>)
  | ({ readonly kind: 'tcp' } & NonNullable<ModbusLinkOptions['tcp']>);

export function describeTarget(target: ConnectionTarget): string {
  return target.kind === 'rtu' ? `serial port ${target.path}` : `Modbus TCP ${target.host}:${target.port}`;
}

/** Errors as modbus-serial raises them (plain objects with name/message/errno, or Errors with modbusCode). */
interface ModbusSerialError {
  readonly name?: string;
  readonly message?: string;
  readonly errno?: string;
  readonly modbusCode?: number;
}

function classify(error: unknown): BusOutcome {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ModbusSerialError;
  const message = e.message ?? String(error);
  if (typeof e.modbusCode === 'number') return { ok: false, kind: 'exception', message, exceptionCode: e.modbusCode };
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') return { ok: false, kind: 'timeout', message: 'no answer' };
  if (message === 'CRC error') return { ok: false, kind: 'crc', message: 'response with a bad CRC' };
  if (message.startsWith('Data length error') || message.startsWith('Unexpected data error')) return { ok: false, kind: 'frame', message };
  return { ok: false, kind: 'port', message };
}

/**
 * One modbus-serial client on one RTU bus or TCP connection: open, one transaction at a time,
 * close. It frames, checks CRCs and matches answers (modbus-serial does); it does not schedule,
 * space frames or retry — the bus above it does. `onLost` is called once when an open port or
 * connection goes away by itself (USB adapter pulled, pty gone, TCP peer closed).
 */
export class ModbusConnection {
  #client: ModbusClient | undefined;
  #lostNotified = false;

  constructor(
    readonly target: ConnectionTarget,
    private readonly onLost: (reason: string) => void,
  ) {}

  get isOpen(): boolean {
    return this.#client?.isOpen === true;
  }

  /** Opens the port or connects; rejects with LinkError link.unavailable saying why. */
  async open(timeoutMs: number): Promise<void> {
    await this.close();
    const client = new ModbusClient();
    // An 'error' nobody listens to would crash the process; port errors arrive as 'close' too.
    client.on('error', (error: unknown) => this.#lost(client, toGatewayError(error).message));
    client.on('close', () => this.#lost(client, 'closed'));
    this.#client = client;
    this.#lostNotified = false;
    const t = this.target;
    try {
      await withDeadline(`opening ${describeTarget(t)}`, { timeoutMs }, timeoutMs, () =>
        t.kind === 'rtu'
          ? client.connectRTUBuffered(t.path, { baudRate: t.baudRate, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits })
          : client.connectTCP(t.host, { port: t.port }),
      );
    } catch (error) {
      this.#client = undefined;
      destroy(client);
      const why = error instanceof TimeoutError ? `no answer within ${timeoutMs} ms` : toGatewayError(error).message;
      throw new LinkError('link.unavailable', `cannot open ${describeTarget(t)}: ${why}`, { cause: error, details: { reason: why } });
    }
    if (!client.isOpen) {
      this.#client = undefined;
      destroy(client);
      throw new LinkError('link.unavailable', `cannot open ${describeTarget(t)}: it closed at once`, { details: { reason: 'it closed at once' } });
    }
  }

  /**
   * Runs one transaction. Never throws: the outcome says how it ended. modbus-serial times the
   * request out itself; the outer guard only covers a callback that never comes.
   */
  async execute(request: BusRequest, timeoutMs: number): Promise<BusOutcome> {
    const client = this.#client;
    if (!client?.isOpen) return { ok: false, kind: 'port', message: `${describeTarget(this.target)} is not open` };
    client.setID(request.unitId);
    client.setTimeout(timeoutMs);
    let guard: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<BusOutcome>((resolve) => {
      guard = setTimeout(() => resolve({ ok: false, kind: 'timeout', message: `no callback from modbus-serial for ${describeRequest(request)}` }), timeoutMs + 1000);
    });
    try {
      return await Promise.race([run(client, request).catch(classify), stuck]);
    } finally {
      clearTimeout(guard);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // Its listeners stay (a late port error must find one, or it would crash the process); they
    // ignore a client that is no longer the current one.
    if (!client.isOpen) {
      destroy(client);
      return;
    }
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 2000);
      client.close(() => {
        clearTimeout(done);
        resolve();
      });
    });
  }

  #lost(client: ModbusClient, reason: string): void {
    if (client !== this.#client || this.#lostNotified) return;
    this.#lostNotified = true;
    this.onLost(reason);
  }
}

async function run(client: ModbusClient, r: BusRequest): Promise<BusOutcome> {
  switch (r.op) {
    case 'read':
      switch (r.function) {
        case 'coil':
          return { ok: true, bits: (await client.readCoils(r.address, r.count)).data.slice(0, r.count) };
        case 'discreteInput':
          return { ok: true, bits: (await client.readDiscreteInputs(r.address, r.count)).data.slice(0, r.count) };
        case 'holdingRegister':
          return { ok: true, registers: (await client.readHoldingRegisters(r.address, r.count)).data };
        case 'inputRegister':
          return { ok: true, registers: (await client.readInputRegisters(r.address, r.count)).data };
      }
      break;
    case 'writeCoil':
      await client.writeCoil(r.address, r.value);
      return { ok: true };
    case 'writeRegister':
      await client.writeRegister(r.address, r.value);
      return { ok: true };
    case 'writeRegisters':
      await client.writeRegisters(r.address, [...r.values]);
      return { ok: true };
  }
}

function destroy(client: ModbusClient): void {
  try {
    client.destroy(() => undefined);
  } catch {
    // A client whose port never opened has nothing to destroy.
  }
}
