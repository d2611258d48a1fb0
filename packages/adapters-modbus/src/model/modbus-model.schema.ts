import { z } from 'zod';

/**
 * A subdevice model: the register map of one kind of Modbus device (one JSON file per model).
 * Shape and defaults are documented in the package README ("Model files").
 */

/** The four Modbus tables, named as the spec names them. */
export const modbusFunctions = ['coil', 'discreteInput', 'holdingRegister', 'inputRegister'] as const;
export type ModbusFunction = (typeof modbusFunctions)[number];

export const pointTypes = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type PointType = (typeof pointTypes)[number];

/** `big`: the most significant first (Modbus's own order for bytes; most devices' for words). */
export const orders = ['big', 'little'] as const;
export type Order = (typeof orders)[number];

const pointName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be 1 to 64 letters, digits or _ starting with a letter or _ (it becomes a JSON key)');

const address = z.number().int().min(0).max(65535);

export const pointSchema = z
  .object({
    name: pointName,
    function: z.enum(modbusFunctions, { message: `must be one of ${modbusFunctions.join(', ')}` }),
    address,
    type: z.enum(pointTypes, { message: `must be one of ${pointTypes.join(', ')}` }).optional(),
    wordOrder: z.enum(orders, { message: 'must be "big" (high word first) or "little"' }).optional(),
    byteOrder: z.enum(orders, { message: 'must be "big" (Modbus order) or "little" (bytes swapped in each register)' }).optional(),
    scale: z.number().refine((n) => n !== 0, 'must not be 0').optional(),
    offset: z.number().optional(),
    /** Decimal places kept after scaling (default: from the scale for integers, 7 significant digits for float32). */
    decimals: z.number().int().min(0).max(10).optional(),
    unit: z.string().max(32).optional(),
    pollIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
    writable: z.boolean().optional(),
    /** Engineering-unit range a write must respect (also checked against the raw type's range). */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Report-on-change threshold, in engineering units: a change of more than this counts. */
    deadband: z.number().min(0).optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

const firmwareVersionSchema = z
  .object({
    function: z.enum(['holdingRegister', 'inputRegister'], { message: 'must be holdingRegister or inputRegister' }),
    address,
    /**
     * - `ascii`: `count` registers of text, two characters each, high byte first (NULs and spaces trimmed);
     * - `uint16`: one register as a decimal number ("102");
     * - `majorMinor`: one register, high byte major, low byte minor ("1.2").
     */
    encoding: z.enum(['ascii', 'uint16', 'majorMinor'], { message: 'must be "ascii", "uint16" or "majorMinor"' }),
    count: z.number().int().min(1).max(16).optional(),
  })
  .strict();

export const modbusModelSchema = z
  .object({
    model: z.string().min(1).max(64),
    version: z.string().max(32).optional(),
    manufacturer: z.string().max(100).optional(),
    description: z.string().max(500).optional(),
    defaults: z
      .object({
        pollIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
        wordOrder: z.enum(orders).optional(),
        byteOrder: z.enum(orders).optional(),
        /** Unused registers (or bits) a read may span to join two points into one request. */
        maxReadGap: z.number().int().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
    firmwareVersion: firmwareVersionSchema.optional(),
    points: z.array(pointSchema).min(1, 'must list at least one point'),
  })
  .strict();

export type ModbusModelInput = z.input<typeof modbusModelSchema>;
export type ModbusPointInput = z.input<typeof pointSchema>;
export type ModbusPointParsed = z.output<typeof pointSchema>;
export type FirmwareVersionRegister = z.output<typeof firmwareVersionSchema>;
