import { createServer } from 'node:net';
import modbusSerial from 'modbus-serial';
import { LinkError, toGatewayError } from '@iotgw/domain';
import type { SimulatedModbusDevice } from './simulated-device.js';

export type SimulatorEndpoint =
  | { readonly tcp: { readonly host?: string; readonly port?: number } }
  | { readonly rtu: { readonly path: string; readonly baudRate?: number } };

export interface RunningModbusSimulator {
  /** The TCP port served (TCP only). */
  readonly port: number | undefined;
  close(): Promise<void>;
}

const ILLEGAL_ADDRESS = 0x02;
const ILLEGAL_VALUE = 0x03;
const TARGET_FAILED = 0x0b;

/** A Modbus exception answer (modbus-serial's servers read `modbusErrorCode`). */
function exception(code: number): Error & { modbusErrorCode: number } {
  return Object.assign(new Error(`Modbus exception ${code}`), { modbusErrorCode: code });
}

/** modbus-serial's service vector over our devices, by unit id. */
function vectorOf(devices: ReadonlyMap<number, SimulatedModbusDevice>) {
  const device = (unitId: number): SimulatedModbusDevice => {
    const d = devices.get(unitId);
    if (!d) throw exception(TARGET_FAILED);
    return d;
  };
  const read = <T>(value: T | undefined): T => {
    if (value === undefined) throw exception(ILLEGAL_ADDRESS);
    return value;
  };
  return {
    getCoil: (address: number, unitId: number) => read(device(unitId).readCoil(address)),
    getDiscreteInput: (address: number, unitId: number) => read(device(unitId).readDiscreteInput(address)),
    getHoldingRegister: (address: number, unitId: number) => read(device(unitId).readHoldingRegister(address)),
    getInputRegister: (address: number, unitId: number) => read(device(unitId).readInputRegister(address)),
    setCoil: (address: number, value: boolean, unitId: number) => {
      if (!device(unitId).writeCoil(address, value)) throw exception(ILLEGAL_ADDRESS);
    },
    setRegister: (address: number, value: number, unitId: number) => {
      if (!device(unitId).writeHoldingRegister(address, value)) throw exception(ILLEGAL_VALUE);
    },
  };
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Serves simulated devices (by unit id) as a Modbus TCP server or as RTU units on a serial port
 * (a pty of a socat pair for the demo), on modbus-serial's own servers — no Python needed.
 * Over RTU a single device answers its unit id only (others are silent, as on a real bus); with
 * several devices every unit id is answered, unknown ones with exception 11.
 */
export async function startModbusSimulator(endpoint: SimulatorEndpoint, devices: ReadonlyMap<number, SimulatedModbusDevice>): Promise<RunningModbusSimulator> {
  const vector = vectorOf(devices);
  const onlyUnit = devices.size === 1 ? [...devices.keys()][0] : undefined;
  if ('tcp' in endpoint) {
    const host = endpoint.tcp.host ?? '127.0.0.1';
    // modbus-serial treats port 0 as "default 502": pick a free port first.
    const port = endpoint.tcp.port ?? (await freePort(host));
    const server = new modbusSerial.ServerTCP(vector, { host, port, unitID: 255 });
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (error: Error | null) => reject(new LinkError('link.unavailable', `simulator cannot listen on ${host}:${port}: ${error?.message ?? 'unknown error'}`)));
    });
    server.on('error', () => undefined); // a client's broken request must not kill the simulator
    server.on('socketError', () => undefined);
    return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }
  const { path, baudRate = 115200 } = endpoint.rtu;
  let server: InstanceType<typeof modbusSerial.ServerSerial> | undefined;
  await new Promise<void>((resolve, reject) => {
    server = new modbusSerial.ServerSerial(vector, {
      path,
      baudRate,
      unitID: onlyUnit ?? 255,
      // A request is taken as complete after this much silence (modbus-serial's RTU server frames by time).
      interval: 3,
      openCallback: (error: Error | null) =>
        error ? reject(new LinkError('link.unavailable', `simulator cannot open ${path}: ${toGatewayError(error).message}`)) : resolve(),
    } as ConstructorParameters<typeof modbusSerial.ServerSerial>[1]);
    server.on('error', () => undefined);
    server.on('socketError', () => undefined);
  });
  return {
    port: undefined,
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
