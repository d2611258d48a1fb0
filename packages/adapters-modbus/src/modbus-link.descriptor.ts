import { defineAdapter } from '@iotgw/domain';
import { buildModbusLink } from './create-modbus-link.js';
import { modbusLinkOptionsSchema, modbusSubdevicesOf } from './modbus-link.options.js';
import { modbusModelIssues } from './model/load-models.js';

/**
 * The `modbus` link as the product assembles it from a config (`{"adapter": "modbus", "rtu": {...},
 * "units": [...]}`): options checked by the package's own schema (errors name the option, e.g.
 * `units.1.unit`), model paths relative to `baseDir`, every model loaded by the preflight, the units as its subdevices.
 */
export const modbusLinkAdapter = defineAdapter({
  kind: 'link',
  name: 'modbus',
  summary: 'Modbus RTU (serial port) or Modbus TCP units as subdevices: register maps polled into JSON readings, {"set": ...} commands written; no firmware delivery',
  options: modbusLinkOptionsSchema,
  subdevicesOf: (options) => modbusSubdevicesOf(options),
  // `iotgw validate` and a pushed config load every model file as `create` will: a wrong path or
  // a bad register map is named (file, point, field) before a start stumbles on it.
  preflight: (options, context) => modbusModelIssues(options, context.baseDir),
  create: (options, context) => buildModbusLink(options, { logger: context.logger, clock: context.clock, signal: context.signal, baseDir: context.baseDir }),
});
