import { z } from 'zod';
import { parseSubdeviceKey, toGatewayError, type SubdeviceId } from '@iotgw/domain';

const subdeviceRef = z.string().superRefine((value, ctx) => {
  try {
    parseSubdeviceKey(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${toGatewayError(error).message} (e.g. "SB00000001/meter1")` });
  }
});

/** The domain's backoff policy options (see `backoffPolicy`), validated. */
const backoffOptions = z
  .object({
    initialDelayMs: z.number().int().min(1).max(3_600_000).optional(),
    maxDelayMs: z.number().int().min(1).max(3_600_000).optional(),
    factor: z.number().min(1).max(10).optional(),
    jitter: z.number().min(0).max(1).optional(),
  })
  .strict();

const rtuOptions = z
  .object({
    /** The serial device, e.g. /dev/ttyUSB0 (an RS-485 adapter) or a pty. */
    path: z.string().min(1, 'must be the serial device path, e.g. "/dev/ttyUSB0"'),
    baudRate: z.number().int().min(300).max(4_000_000).default(9600),
    parity: z.enum(['none', 'even', 'odd'], { message: 'must be "none", "even" or "odd"' }).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)], { message: 'must be 7 or 8' }).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)], { message: 'must be 1 or 2' }).default(1),
    /** Silence kept between frames; default 3.5 characters at the baud rate (1.75 ms above 19200 baud, per the spec). */
    interFrameGapMs: z.number().min(0).max(1000).optional(),
  })
  .strict();

const tcpOptions = z
  .object({
    host: z.string().min(1, 'must be the host name or address of the Modbus TCP device or gateway'),
    port: z.number().int().min(1).max(65535).default(502),
  })
  .strict();

const unitOptions = z
  .object({
    /** The subdevice this unit is on the hub: "PRODUCTID/deviceName" (as `id` in the serial and BLE links). */
    id: subdeviceRef,
    /** The Modbus unit (slave) id: 1..247 on a serial bus, 0..255 over TCP. */
    unit: z.number().int().min(0).max(255),
    /** A model file (relative paths from the base directory: iotgw's working directory) or the model itself, inline. */
    model: z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
      message: 'must be the path of a model file (e.g. "models/energy-meter.json") or an inline model object',
    }),
    /** Poll every point of this unit at this interval instead of the model's. */
    pollIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
    /** Report a reading only when a point moved beyond its deadband (default: the link's). */
    reportOnChange: z.boolean().optional(),
    /** At most one reading per this many ms; the latest one wins (default: the link's). */
    minReportIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
  })
  .strict();

/**
 * Options of one Modbus link: one RTU bus (a serial port) or one TCP connection, and the units on
 * it. Defaults are filled in by `parse`; the README's "Configuration" section documents each.
 */
export const modbusLinkOptionsSchema = z
  .object({
    /** Name in logs, metrics and events; default `modbus-rtu:<path>` or `modbus-tcp:<host>:<port>`. */
    name: z.string().min(1).optional(),
    rtu: rtuOptions.optional(),
    tcp: tcpOptions.optional(),
    units: z.array(unitOptions).min(1, 'must list at least one unit ({ "id": "PRODUCTID/deviceName", "unit": 1, "model": "models/x.json" })'),
    /** How long a unit has to answer one request. */
    requestTimeoutMs: z.number().int().min(10).max(60_000).default(1000),
    /** How long opening the port or the TCP connection may take (each attempt). */
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
    /** A response with a bad CRC (the unit is there, the line is noisy) is asked again at once, this many times. */
    crcRetries: z.number().int().min(0).max(10).default(2),
    /** Consecutive failed polls (no answer) before a unit is reported offline. */
    offlineAfterFailures: z.number().int().min(1).max(100).default(3),
    /** Delay before polling a failing unit again, growing per failure (up to downPollIntervalMs). */
    retry: backoffOptions.default({}),
    /** Slowest poll of a unit that does not answer (the backoff's ceiling). */
    downPollIntervalMs: z.number().int().min(10).max(3_600_000).default(10_000),
    /** Reopening a vanished port / reconnecting TCP: forever, with this backoff. */
    reconnect: backoffOptions.default({}),
    reportOnChange: z.boolean().default(false),
    minReportIntervalMs: z.number().int().min(0).max(86_400_000).default(0),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.rtu === undefined) === (o.tcp === undefined)) {
      ctx.addIssue({ code: 'custom', path: [o.rtu ? 'tcp' : 'rtu'], message: 'give exactly one of "rtu" ({ path, baudRate, ... }) or "tcp" ({ host, port })' });
    }
    const ids = new Map<number, number>();
    const subdevices = new Map<string, number>();
    o.units.forEach((u, i) => {
      if (o.rtu && (u.unit < 1 || u.unit > 247)) {
        ctx.addIssue({ code: 'custom', path: ['units', i, 'unit'], message: `${u.unit} is not a unit id on a serial bus: use 1..247 (0 is broadcast)` });
      }
      const sameId = ids.get(u.unit);
      if (sameId !== undefined) ctx.addIssue({ code: 'custom', path: ['units', i, 'unit'], message: `unit id ${u.unit} is already used by units[${sameId}]: each unit on one bus needs its own id` });
      ids.set(u.unit, i);
      const sameSub = subdevices.get(u.id);
      if (sameSub !== undefined) ctx.addIssue({ code: 'custom', path: ['units', i, 'id'], message: `${u.id} is already units[${sameSub}]` });
      subdevices.set(u.id, i);
    });
  });

/** What a config file gives (defaults optional). */
export type ModbusLinkOptionsInput = z.input<typeof modbusLinkOptionsSchema>;
/** Validated, with every default applied. */
export type ModbusLinkOptions = z.output<typeof modbusLinkOptionsSchema>;
export type ModbusUnitOptions = ModbusLinkOptions['units'][number];

/** The subdevices a Modbus link serves, from its options (validated or not yet). */
export function modbusSubdevicesOf(options: Pick<ModbusLinkOptionsInput, 'units'>): SubdeviceId[] {
  return options.units.map((u) => parseSubdeviceKey(u.id));
}

/** The spec's inter-frame silence: 3.5 characters, fixed at 1.75 ms above 19200 baud. */
export function interFrameGapMs(rtu: NonNullable<ModbusLinkOptions['rtu']>): number {
  if (rtu.interFrameGapMs !== undefined) return rtu.interFrameGapMs;
  if (rtu.baudRate > 19_200) return 1.75;
  const bitsPerChar = 1 + rtu.dataBits + (rtu.parity === 'none' ? 0 : 1) + rtu.stopBits;
  return (3.5 * bitsPerChar * 1000) / rtu.baudRate;
}
