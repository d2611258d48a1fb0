import { dirname, resolve } from 'node:path';
import type { AdapterRegistry } from '@iotgw/app';
import { bundledAdapters, createAdapterRegistry } from '../bundled-adapters.js';
import { parseGatewayConfig, type GatewayConfig } from './gateway-config.js';
import { loadPlugins } from './plugin-loader.js';

/** A parsed iotgw config and the adapters it was checked against (bundled + its plugins). */
export interface LoadedConfig {
  readonly config: GatewayConfig;
  readonly registry: AdapterRegistry;
}

/**
 * Parses an iotgw config file's text after loading the adapters its "plugins" name (relative paths
 * from the config file's directory), so links naming a plugin's adapter are checked by that
 * adapter's own schema.
 */
export async function loadGatewayConfig(text: string, source: string): Promise<LoadedConfig> {
  const plugins = await loadPlugins(pluginSpecs(text), dirname(resolve(source)), bundledAdapters);
  const registry = createAdapterRegistry(plugins);
  return { config: parseGatewayConfig(text, source, registry), registry };
}

/** The "plugins" entries, when the text is JSON and they are strings; the schema reports the rest. */
function pluginSpecs(text: string): string[] {
  try {
    const json = JSON.parse(text) as { plugins?: unknown };
    return Array.isArray(json.plugins) && json.plugins.every((p) => typeof p === 'string' && p !== '') ? (json.plugins as string[]) : [];
  } catch {
    return [];
  }
}
