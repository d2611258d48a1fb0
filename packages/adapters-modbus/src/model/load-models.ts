import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, describeJsonError } from '@iotgw/domain';
import type { ModbusLinkOptions } from '../modbus-link.options.js';
import { compileModbusModel, type ModbusModel } from './modbus-model.js';
import { ModbusModelError } from './modbus-model.errors.js';

/** Reads and validates one model file. */
export async function loadModbusModelFile(path: string): Promise<ModbusModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new ConfigError(`model ${path}`, `cannot be read (${why}): check the path (relative paths start at the config file's directory)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModbusModelError(path, [{ point: undefined, field: '(file)', message: `is not valid JSON (${describeJsonError((error as Error).message, text)})` }]);
  }
  return compileModbusModel(json, path);
}

/**
 * The model of each unit of a link, in `options.units` order: files (relative to `baseDir`) read
 * once however many units share them, inline models compiled in place.
 */
export async function loadModbusModels(options: Pick<ModbusLinkOptions, 'units'>, baseDir: string): Promise<ModbusModel[]> {
  const files = new Map<string, Promise<ModbusModel>>();
  return Promise.all(
    options.units.map((unit, i) => {
      if (typeof unit.model !== 'string') return Promise.resolve(compileModbusModel(unit.model, `units[${i}].model (inline)`));
      const path = isAbsolute(unit.model) ? unit.model : resolve(baseDir, unit.model);
      let loaded = files.get(path);
      if (!loaded) {
        loaded = loadModbusModelFile(path);
        files.set(path, loaded);
      }
      return loaded;
    }),
  );
}
