import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, describeJsonError, toGatewayError, type OptionsIssue } from '@iotgw/domain';
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
    throw new ConfigError(`model ${path}`, `cannot be read (${why}): check the path`);
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
  return Promise.all(unitModels(options, baseDir));
}

/**
 * The link's preflight (`iotgw validate`, a pushed config): every unit's model loaded and checked
 * as `create` would, each problem an issue at `units.<i>.model` whose message names the file, the
 * point and the field. A file several units share is reported once, at the first of them.
 */
export async function modbusModelIssues(options: Pick<ModbusLinkOptions, 'units'>, baseDir: string): Promise<OptionsIssue[]> {
  const issues: OptionsIssue[] = [];
  const reported = new Set<Promise<ModbusModel>>();
  const loading = unitModels(options, baseDir);
  for (const [i, model] of loading.entries()) {
    try {
      await model;
    } catch (error) {
      if (reported.has(model)) continue;
      reported.add(model);
      issues.push({ path: ['units', i, 'model'], message: toGatewayError(error).message });
    }
  }
  return issues;
}

/** One promise per unit; units naming the same file share its promise (the file is read once). */
function unitModels(options: Pick<ModbusLinkOptions, 'units'>, baseDir: string): Promise<ModbusModel>[] {
  const files = new Map<string, Promise<ModbusModel>>();
  const models = options.units.map((unit, i) => {
    if (typeof unit.model !== 'string') {
      const inline = unit.model;
      return Promise.resolve().then(() => compileModbusModel(inline, `units[${i}].model (inline)`));
    }
    const path = isAbsolute(unit.model) ? unit.model : resolve(baseDir, unit.model);
    let loaded = files.get(path);
    if (!loaded) {
      loaded = loadModbusModelFile(path);
      files.set(path, loaded);
    }
    return loaded;
  });
  // Awaited one by one by callers: none may count as unhandled while an earlier one is awaited.
  for (const m of models) void m.catch(() => undefined);
  return models;
}
