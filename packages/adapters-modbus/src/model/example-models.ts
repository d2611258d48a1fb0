import { fileURLToPath } from 'node:url';

/** The example models shipped in the package's `models/` directory, by absolute path. */
export const EXAMPLE_MODBUS_MODELS = {
  energyMeter: fileURLToPath(new URL('../../../models/energy-meter.json', import.meta.url)),
  temperatureHumidity: fileURLToPath(new URL('../../../models/temperature-humidity.json', import.meta.url)),
} as const;
