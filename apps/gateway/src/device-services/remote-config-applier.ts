import type { AdapterRegistry, Gateway, LinkChange, RemoteConfigApplier, WinstonLogger } from '@iotgw/app';
import { CancelledError, offersChannelDeclaration, toGatewayError, type JsonValue, type Logger, type StateStore } from '@iotgw/domain';
import type { DeviceInfo } from '../config/device-info.js';
import { parseGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';
import { checkConfigEnvironment } from '../config/preflight.js';
import { choiceOf, resolveSecret } from '../plugins.js';
import { fileOwned, refuseRemoteConfig, rejectedRemoteConfig, saveRemoteConfig, type StoredRemoteConfig } from './remote-config-store.js';

/**
 * Fields a running gateway takes at once; every other change waits for a restart. When a field
 * that waits changed too, the whole document waits (but the log level): one restart applies it.
 * Of `ota`, what the use cases read at each use is live: the firmware source policy (at each
 * job) and `concurrencyPerLink` (at each delivery slot decision); loopback and link-local are the
 * firmware store's connection guard, built at start. `channels` and `dataChannels` are live when
 * the hub transport takes a new declaration (`declareChannels`, as the MQTT adapter does);
 * otherwise they wait too.
 */
const LIVE_FIELDS = new Set(['logLevel', 'links', 'secrets', 'downlink', 'ota']);
const CHANNEL_FIELDS = new Set(['channels', 'dataChannels']);
const LIVE_OTA_FIELDS = new Set(['allowedHosts', 'maxImageBytes', 'concurrencyPerLink']);
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
  /** The running gateway, whose links a document changes live. */
  readonly gateway: Pick<Gateway, 'applyLinks' | 'applySettings' | 'applySecrets' | 'hub'>;
  /** A live change must be healthy (new links started) within this time, or it is rolled back. */
  readonly healthyWithinMs: number;
  /** Aborted when the gateway stops: a link still starting is given up, and the document not refused for it. */
  readonly signal?: AbortSignal;
  /** Called when the document needs a restart to take effect (after it is saved). */
  readonly restart: (reason: string) => void;
}

/**
 * What the gateway does with a configuration from the hub: the same checks as the file (shape,
 * links naming declared subdevices, secrets that resolve, serial paths), nothing applied when one
 * fails. A document changing only live fields is applied at once (links added, removed or
 * changed without touching the hub connection); when a new link does not start within
 * `healthyWithinMs`, the links before it run again, nothing else is applied, and the document is
 * recorded as rolled back (the same one is refused from then on). Otherwise the document is saved
 * in the data dir (the next start runs on it), the log level applied at once, and a restart asked
 * for.
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

    // Keys of both: an optional section the document leaves out (selfUpdate, subdevices) is a change too.
    const keys = [...new Set([...Object.keys(current), ...Object.keys(next)])];
    const changed = keys.filter((k) => !FIXED_FIELDS.has(k) && JSON.stringify(next[k as keyof GatewayConfig]) !== JSON.stringify(current[k as keyof GatewayConfig]));
    // Anything that waits for a restart takes the live fields with it (but the log level).
    const hub = options.gateway.hub;
    const live = (k: string): boolean =>
      (CHANNEL_FIELDS.has(k) && offersChannelDeclaration(hub)) ||
      (LIVE_FIELDS.has(k) && (k !== 'ota' || differing(next.ota, current.ota).every((f) => LIVE_OTA_FIELDS.has(f))));
    const restarting = changed.some((k) => !live(k));
    const later = changed.filter((k) => !live(k) || (restarting && k !== 'logLevel'));
    const stored: StoredRemoteConfig = {
      receivedAt: new Date().toISOString(),
      source,
      confirmed: later.length === 0,
      config: document as { readonly [key: string]: JsonValue },
    };
    const applySecrets = async (config: GatewayConfig): Promise<void> => {
      const values: Record<string, string> = {};
      for (const [key, ref] of Object.entries(config.secrets)) values[key] = await resolveSecret(key, ref, options.baseDir, options.env ?? process.env);
      options.gateway.applySecrets(values);
    };
    const callOptions = { timeoutMs: options.healthyWithinMs, ...(options.signal ? { signal: options.signal } : {}) };
    const declare = async (config: GatewayConfig): Promise<void> => {
      if (offersChannelDeclaration(hub)) await hub.declareChannels({ dataChannels: config.dataChannels, productChannels: config.channels }, callOptions);
    };
    const channelsChanged = !restarting && changed.some((k) => CHANNEL_FIELDS.has(k));
    // Channels first: a new link's subdevices come online following the new ones.
    if (channelsChanged) {
      try {
        await declare(next);
        options.logger.info('channels changed live: the online subdevices follow the new subscribe channels, uplink is checked against the new publish ones');
      } catch (error) {
        await declare(current).catch(() => undefined);
        return { ok: false, message: `not applied: the hub connection did not take the channels: ${toGatewayError(error).message}` };
      }
    }
    // Secrets before links: a new link's subdevice may be bound with its secret as soon as it attaches.
    if (!restarting && changed.includes('secrets')) await applySecrets(next);
    if (!restarting && changed.includes('links')) {
      try {
        const change = await options.gateway.applyLinks(next.links.map(choiceOf), callOptions);
        options.logger.info(`links changed live: ${describe(change)}`);
      } catch (error) {
        if (changed.includes('secrets')) await applySecrets(current);
        if (channelsChanged) await declare(current).catch(() => undefined);
        // Stopping is no verdict on the document: the hub sends it again after the next start.
        if (error instanceof CancelledError) return { ok: false, message: 'not applied: the gateway is stopping' };
        const reason = `a new link did not start within ${options.healthyWithinMs / 1000} s: ${toGatewayError(error).message}`;
        options.logger.error(`the configuration from the hub is rolled back, the links before it run again: ${reason}`);
        await refuseRemoteConfig(options.store, stored, reason);
        return { ok: false, message: `rolled back, the gateway runs on the configuration before it: ${reason}` };
      }
    }
    await saveRemoteConfig(options.store, stored);
    if (next.logLevel !== current.logLevel) options.logger.setLevel(next.logLevel);
    if (!restarting && (changed.includes('downlink') || changed.includes('ota'))) {
      options.gateway.applySettings({ downlinkQueueLength: next.downlink.queueLength, ota: { allowedHosts: next.ota.allowedHosts, maxImageBytes: next.ota.maxImageBytes, concurrencyPerLink: next.ota.concurrencyPerLink } });
    }
    current = { ...next, ...Object.fromEntries(later.map((k) => [k, current[k as keyof GatewayConfig]])) };
    const now = changed.filter((k) => !later.includes(k));
    const parts = [
      now.length > 0 ? `${now.join(', ')} applied now` : '',
      later.length > 0 ? `${later.join(', ')} take effect at a restart` : '',
    ].filter(Boolean);
    if (later.length > 0) options.restart(`the configuration from the hub changed ${later.join(', ')}`);
    return { ok: true, message: parts.length > 0 ? parts.join('; ') : 'no change' };
  };
}

function describe(change: LinkChange): string {
  const parts = [
    change.added.length > 0 ? `added ${change.added.join(', ')}` : '',
    change.removed.length > 0 ? `removed ${change.removed.join(', ')}` : '',
    `${change.kept} kept running`,
  ];
  return parts.filter(Boolean).join('; ');
}

/** The keys whose values differ between two sections. */
function differing(a: object, b: object): string[] {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}
