import { ConfigError, type Clock, type Logger } from '@iotgw/domain';
import { loadModbusModels } from './model/load-models.js';
import { modbusLinkOptionsSchema, type ModbusLinkOptions } from './modbus-link.options.js';
import { ModbusSubdeviceLink } from './modbus-subdevice-link.js';

/** What the application hands a link factory. */
export interface ModbusLinkFactoryContext {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Aborting it stops the link. */
  readonly signal?: AbortSignal;
  /** Where relative model paths start (iotgw gives its working directory, as for its other relative paths). Default: the working directory. */
  readonly baseDir?: string;
}

/**
 * Validates `options` (a ConfigError lists every problem with its path, e.g. `units.0.unitId`),
 * loads and validates every unit's model (ModbusModelError names file, point and field), and
 * builds the link. Nothing is opened until `start`.
 */
export async function createModbusLink(options: unknown, context: ModbusLinkFactoryContext = {}): Promise<ModbusSubdeviceLink> {
  return buildModbusLink(parseModbusLinkOptions(options), context);
}

/** `createModbusLink` for options already validated by `modbusLinkOptionsSchema` (the descriptor's way). */
export async function buildModbusLink(options: ModbusLinkOptions, context: ModbusLinkFactoryContext = {}): Promise<ModbusSubdeviceLink> {
  const models = await loadModbusModels(options, context.baseDir ?? process.cwd());
  return new ModbusSubdeviceLink(options, models, context);
}

/** The options, validated with every default applied; one ConfigError naming each problem's path. */
export function parseModbusLinkOptions(options: unknown, source = 'modbus link'): ModbusLinkOptions {
  const result = modbusLinkOptionsSchema.safeParse(options);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
  const [only] = problems;
  throw new ConfigError(source, problems.length === 1 && only ? only : `${problems.length} problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}
