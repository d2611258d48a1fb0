import type { AnyAdapterDescriptor } from '@iotgw/domain';
import { AdapterRegistry } from '@iotgw/app';
import { mqttHubAdapter } from '@iotgw/adapters-mqtt';
import { httpFirmwareAdapter } from '@iotgw/adapters-http';
import { serialLinkAdapter } from '@iotgw/adapters-serial';
import { modbusLinkAdapter } from '@iotgw/adapters-modbus';
import { createBleLinkAdapter } from '@iotgw/adapters-ble';
import { SimulatedBleCentral } from '@iotgw/simulators';

/**
 * Every adapter the iotgw product ships. Adding one is one line here (and the package in
 * package.json); the config schema, `iotgw validate` and the registry follow from this list.
 * The first hub and the first firmware store are the defaults a config gets when it names none.
 * Adapters outside the product come in through "plugins" in the config instead.
 */
export const bundledAdapters: readonly AnyAdapterDescriptor[] = [
  mqttHubAdapter,
  httpFirmwareAdapter,
  serialLinkAdapter,
  modbusLinkAdapter,
  // `central: "simulated"` gets an in-memory central (nothing advertises on it unless a demo adds peripherals).
  createBleLinkAdapter({ simulated: () => new SimulatedBleCentral() }),
];

/**
 * The registry a gateway is built from: every bundled adapter plus `extra` (plugins' adapters,
 * checked for name clashes by `loadPlugins` first). A caller swaps one with `replace` (the demo's
 * BLE central, a test's fake hub).
 */
export function createAdapterRegistry(extra: readonly AnyAdapterDescriptor[] = []): AdapterRegistry {
  return new AdapterRegistry([...bundledAdapters, ...extra]);
}
