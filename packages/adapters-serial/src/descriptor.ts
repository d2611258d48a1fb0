import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { defineAdapter, parseSubdeviceKey, subdeviceKey, type OptionsIssue } from '@iotgw/domain';
import { crcOption, subdeviceKeyOption } from '@iotgw/stream-link';
import { SerialSubdeviceLink } from './serial-subdevice-link.js';

const address = z.number().int().min(1, 'must be a bus address from 1 to 254').max(254, 'must be a bus address from 1 to 254');

/** A subdevice on the bus: its id, optionally with the bus address its firmware uses (1..254). */
const busSubdevice = z.union([subdeviceKeyOption, z.object({ id: subdeviceKeyOption, address }).strict()], {
  message: 'must be "PRODUCTID/deviceName" or {"id": "PRODUCTID/deviceName", "address": 1..254}',
});

/** A serial link's options, as a config writes them (`{"adapter": "serial", ...}`). */
export const serialLinkOptions = z
  .object({
    /** Name in logs and events; default `serial:<path>`. */
    name: z.string().min(1).optional(),
    path: z.string().min(1, 'must be the serial device path, e.g. "/dev/ttyUSB0"'),
    baudRate: z.number().int().positive().default(115200),
    crc: crcOption,
    subdevices: z.array(busSubdevice).default([]),
  })
  .strict()
  .superRefine((link, ctx) => {
    // One bus, one subdevice per address: a clash is a wiring mistake to fix before starting.
    const byAddress = new Map<number, string>();
    for (const [i, entry] of link.subdevices.entries()) {
      if (typeof entry === 'string') continue;
      const holder = byAddress.get(entry.address);
      if (holder) {
        ctx.addIssue({
          code: 'custom',
          path: ['subdevices', i, 'address'],
          message: `address ${entry.address} is already used by ${holder} on this bus: give each subdevice its own address`,
        });
      } else byAddress.set(entry.address, entry.id);
    }
  });

export type SerialLinkOptions = z.infer<typeof serialLinkOptions>;

/** The `serial` link: subdevices on a serial port speaking the iotgw link protocol. */
export const serialLinkAdapter = defineAdapter({
  kind: 'link',
  name: 'serial',
  summary: 'subdevices on a serial port (RS-232, RS-485 multi-drop, USB CDC) speaking the iotgw link protocol',
  options: serialLinkOptions,
  subdevicesOf: (options) => options.subdevices.map((s) => parseSubdeviceKey(typeof s === 'string' ? s : s.id)),
  preflight: async (options, context) => {
    const problem = await serialPathProblem(resolve(context.baseDir, options.path));
    return problem ? [problem] : [];
  },
  create: (options, context) => {
    const addresses = new Map(options.subdevices.flatMap((s) => (typeof s === 'string' ? [] : [[s.id, s.address] as const])));
    return new SerialSubdeviceLink({
      path: resolve(context.baseDir, options.path),
      baudRate: options.baudRate,
      framing: { crc: options.crc },
      subdevices: context.subdevices.map((subdevice) => {
        const at = addresses.get(subdeviceKey(subdevice));
        return at === undefined ? { subdevice } : { subdevice, address: at };
      }),
      ...(context.admitProducts && context.admitProducts.length > 0 ? { admitProducts: [...context.admitProducts] } : {}),
      logger: context.logger,
      ...(options.name ? { name: options.name } : {}),
    });
  },
});

/**
 * The device path must exist and be a character device. `iotgw start` waits a while for a missing
 * port (a USB adapter may still be enumerating) and then refuses it; `iotgw validate` says so at once.
 */
async function serialPathProblem(path: string): Promise<OptionsIssue | undefined> {
  try {
    const st = await stat(path);
    if (st.isCharacterDevice()) return undefined;
    return { path: ['path'], message: `${path} is not a serial device (not a character device): give the port's path, e.g. /dev/ttyUSB0` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    return { path: ['path'], message: `${path} ${why}: plug the device in or fix the path (stable names are under /dev/serial/by-id/)` };
  }
}
