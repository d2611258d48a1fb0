import { FileStateStore, type AdapterRegistry } from '@iotgw/app';
import { toGatewayError, type JsonValue, type StateStore } from '@iotgw/domain';
import { parseGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';

/** A configuration the hub pushed, as kept in the data dir's state store. */
export interface StoredRemoteConfig {
  readonly receivedAt: string;
  readonly source: 'reply' | 'push';
  /** True once the gateway came up healthy on it (or it needed no restart). */
  readonly confirmed: boolean;
  readonly config: { readonly [key: string]: JsonValue };
}

const KEY = 'remote-config';
const REJECTED_KEY = 'remote-config.rejected';

function isStored(value: JsonValue | undefined): value is StoredRemoteConfig & JsonValue {
  const v = value as Partial<StoredRemoteConfig> | undefined;
  return typeof v === 'object' && v !== null && typeof v.receivedAt === 'string' && typeof v.confirmed === 'boolean' && typeof v.config === 'object' && v.config !== null;
}

export async function readRemoteConfig(store: StateStore): Promise<StoredRemoteConfig | undefined> {
  const value = await store.get(KEY);
  return isStored(value) ? value : undefined;
}

export async function saveRemoteConfig(store: StateStore, stored: StoredRemoteConfig): Promise<void> {
  await store.put(KEY, stored as unknown as JsonValue);
}

/** The last pushed config that was rolled back, with why, if any. */
export async function rejectedRemoteConfig(store: StateStore): Promise<(StoredRemoteConfig & { readonly rejectedAt: string; readonly reason: string }) | undefined> {
  const value = await store.get(REJECTED_KEY);
  const v = value as { rejectedAt?: unknown; reason?: unknown } | undefined;
  return isStored(value) && typeof v?.rejectedAt === 'string' && typeof v.reason === 'string' ? (value as unknown as StoredRemoteConfig & { rejectedAt: string; reason: string }) : undefined;
}

/** Moves the pushed config aside (kept for a look, never used again) so the file config applies. */
export async function rejectRemoteConfig(store: StateStore, stored: StoredRemoteConfig, reason: string): Promise<void> {
  await refuseRemoteConfig(store, stored, reason);
  await store.delete(KEY);
}

/**
 * Records a pushed config that was applied live and rolled back (the gateway runs on, on the one
 * before it, which stays saved): the hub answering with the same document again is refused.
 */
export async function refuseRemoteConfig(store: StateStore, stored: StoredRemoteConfig, reason: string): Promise<void> {
  await store.put(REJECTED_KEY, { ...stored, rejectedAt: new Date().toISOString(), reason });
}

/**
 * What a pushed configuration cannot change: where it is itself kept (`dataDir`), and which code
 * the gateway loads (`plugins`: adapters come from the file's list, never from the network).
 */
export function fileOwned(fileConfig: GatewayConfig): Pick<GatewayConfig, 'dataDir' | 'plugins'> {
  return { dataDir: fileConfig.dataDir, plugins: fileConfig.plugins };
}

/**
 * The configuration `iotgw start` runs on: the one the hub pushed when the data dir holds one,
 * else the file's. The data dir always comes from the file (a pushed config cannot move where it
 * is itself kept). A stored config that no longer validates is rejected, with a warning.
 */
export async function effectiveConfig(
  fileConfig: GatewayConfig,
  dataDir: string,
  warn: (line: string) => void,
  registry: AdapterRegistry,
): Promise<{ readonly config: GatewayConfig; readonly remote: StoredRemoteConfig | undefined }> {
  if (!fileConfig.deviceServices.remoteConfig.enabled) return { config: fileConfig, remote: undefined };
  const store = FileStateStore.inDataDir(dataDir);
  let stored: StoredRemoteConfig | undefined;
  try {
    stored = await readRemoteConfig(store);
  } catch {
    return { config: fileConfig, remote: undefined }; // an unreadable data dir is checkDataDir's to report
  }
  if (!stored) return { config: fileConfig, remote: undefined };
  try {
    const config = parseGatewayConfig(JSON.stringify(stored.config), 'the configuration from the hub', registry);
    return { config: { ...config, ...fileOwned(fileConfig) }, remote: stored };
  } catch (error) {
    const reason = toGatewayError(error).message;
    await rejectRemoteConfig(store, stored, reason).catch(() => undefined);
    warn(`the configuration from the hub (received ${stored.receivedAt}) no longer validates, so the file's applies: ${reason}`);
    return { config: fileConfig, remote: undefined };
  }
}

