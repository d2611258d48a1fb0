import type { AdapterRegistry, RemoteConfigApplier, WinstonLogger } from '@iotgw/app';
import { toGatewayError, type JsonValue, type Logger, type StateStore } from '@iotgw/domain';
import type { DeviceInfo } from '../config/device-info.js';
import { parseGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';
import { checkConfigEnvironment } from '../config/preflight.js';
import { fileOwned, rejectedRemoteConfig, saveRemoteConfig } from './remote-config-store.js';

/** Fields a running gateway takes at once; every other change waits for a restart. */
const LIVE_FIELDS = new Set(['logLevel']);
/** Fields a pushed config cannot change (see fileOwned). */
const FIXED_FIELDS = new Set(['dataDir', 'plugins']);

/** A logger whose levels the hub may change at runtime (iotgw's WinstonLogger; the demo's own). */
export type RuntimeLogger = Logger & Pick<WinstonLogger, 'setLevel' | 'setCaptureLevel'>;

export interface RemoteConfigApplierOptions {
  /** The configuration the gateway runs on now. */
  readonly running: GatewayConfig;
  readonly info: DeviceInfo;
  readonly deviceInfoFile: string;
  readonly baseDir: string;
  /** Where secret references (`{"env": ...}`) are looked up; default the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly store: StateStore;
  /** The adapters the running config was checked against (bundled + the file's plugins). */
  readonly registry: AdapterRegistry;
  readonly logger: RuntimeLogger;
  /** Called when the document needs a restart to take effect (after it is saved). */
  readonly restart: (reason: string) => void;
}

/**
 * What the gateway does with a configuration from the hub: the same checks as the file (shape,
 * links naming declared subdevices, secrets that resolve, serial paths), nothing applied when one
 * fails; then saved in the data dir (the next start runs on it), the log level applied at once,
 * and a restart asked for when anything else changed.
 */
export function remoteConfigApplier(options: RemoteConfigApplierOptions): RemoteConfigApplier {
  let current = options.running;
  return async (document, source) => {
    let next: GatewayConfig;
    try {
      next = { ...parseGatewayConfig(JSON.stringify(document), 'the configuration from the hub', options.registry), ...fileOwned(current) };
    } catch (error) {
      return { ok: false, message: toGatewayError(error).message };
    }
    // The hub keeps answering with the document it holds: one already rolled back is not tried again.
    const rejected = await rejectedRemoteConfig(options.store);
    if (rejected && JSON.stringify(rejected.config) === JSON.stringify(document)) {
      return { ok: false, message: `this configuration was rolled back at ${rejected.rejectedAt} (${rejected.reason}): push a corrected one` };
    }
    const problems = await checkConfigEnvironment(next, 'the configuration from the hub', {
      baseDir: options.baseDir,
      ...(options.env ? { env: options.env } : {}),
      info: { info: options.info, file: options.deviceInfoFile },
      registry: options.registry,
    });
    if (problems.length > 0) return { ok: false, message: problems.map((p) => p.message).join('; ') };

    const changed = Object.keys(next).filter((k) => !FIXED_FIELDS.has(k) && JSON.stringify(next[k as keyof GatewayConfig]) !== JSON.stringify(current[k as keyof GatewayConfig]));
    const later = changed.filter((k) => !LIVE_FIELDS.has(k));
    await saveRemoteConfig(options.store, {
      receivedAt: new Date().toISOString(),
      source,
      confirmed: later.length === 0,
      config: document as { readonly [key: string]: JsonValue },
    });
    if (next.logLevel !== current.logLevel) options.logger.setLevel(next.logLevel);
    current = { ...next, ...Object.fromEntries(later.map((k) => [k, current[k as keyof GatewayConfig]])) };
    const now = changed.filter((k) => LIVE_FIELDS.has(k));
    const parts = [
      now.length > 0 ? `${now.join(', ')} applied now` : '',
      later.length > 0 ? `${later.join(', ')} take effect at a restart` : '',
    ].filter(Boolean);
    if (later.length > 0) options.restart(`the configuration from the hub changed ${later.join(', ')}`);
    return { ok: true, message: parts.length > 0 ? parts.join('; ') : 'no change' };
  };
}
