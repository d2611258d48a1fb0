import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, defineAdapter, type GatewayCredentials } from '@iotgw/domain';
import { MqttHubTransport } from './mqtt-hub-transport.js';
import type { HubAuth } from './mqtt-hub-transport.options.js';

const OFFLINE_STORE_DEFAULTS = {
  maxBytes: 256 * 1024 * 1024,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  overflow: 'drop-oldest',
  syncIntervalMs: 1000,
} as const;

/** Where QoS 1 readings wait while the hub is away: `<dataDir>/uplink`, bounded by bytes and age. */
const offlineStoreOptions = z
  .object({
    maxBytes: z.number().int().min(1024 * 1024, 'must be at least 1 MiB (1048576)').default(OFFLINE_STORE_DEFAULTS.maxBytes),
    maxAgeMs: z.number().int().positive().default(OFFLINE_STORE_DEFAULTS.maxAgeMs),
    overflow: z.enum(['drop-oldest', 'drop-newest', 'reject']).default(OFFLINE_STORE_DEFAULTS.overflow),
    syncIntervalMs: z.number().int().min(10).max(60_000).default(OFFLINE_STORE_DEFAULTS.syncIntervalMs),
  })
  .strict()
  .default(OFFLINE_STORE_DEFAULTS);

/** The mqtt hub's options, as a config's `hub` section writes them (`{"adapter": "mqtt", ...}`). */
export const mqttHubOptions = z
  .object({
    /** Override for private deployments and the emulator; default the region's hub host. */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    tls: z.boolean().default(true),
    caFile: z.string().min(1).optional(),
    insecureSkipVerify: z.boolean().default(false),
    operationTimeoutMs: z.number().int().positive().default(10_000),
    batchSize: z.number().int().min(1).max(1000).default(50),
    /** How long a subdevice gets to answer an RRPC request (the hub's caller waits about 4 s); the gateway's RRPC use case reads it. */
    rrpcTimeoutMs: z.number().int().min(100).max(60_000).default(3500),
    /** Largest MQTT packet taken from the hub (and largest reading sent). */
    maxPacketBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(1024 * 1024),
    offlineStore: offlineStoreOptions,
  })
  .strict();

export type MqttHubOptions = z.infer<typeof mqttHubOptions>;

/** The `mqtt` hub: Tencent Cloud IoT Hub (or the emulator) over MQTT 3.1.1, key or certificate auth. */
export const mqttHubAdapter = defineAdapter({
  kind: 'hub',
  name: 'mqtt',
  summary: 'Tencent Cloud IoT Hub over MQTT (key or certificate auth, TLS, reconnect, a durable QoS 1 outbox)',
  options: mqttHubOptions,
  create: (options, context) => {
    const gateway = context.gateway;
    if (!gateway) throw new ConfigError('hub', 'the mqtt hub connects as the gateway device: give its device file (device_info.json)');
    return new MqttHubTransport({
      gateway: gateway.identity,
      auth: hubAuth(gateway.credentials),
      region: gateway.region,
      dataChannels: gateway.dataChannels,
      ...(gateway.productChannels ? { productChannels: gateway.productChannels } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
      tls: options.tls,
      ...(options.caFile ? { caFile: resolve(context.baseDir, options.caFile) } : {}),
      insecureSkipVerify: options.insecureSkipVerify,
      operationTimeoutMs: options.operationTimeoutMs,
      batchSize: options.batchSize,
      maxPacketBytes: options.maxPacketBytes,
      logger: context.logger,
      // The outbox lives in the data dir; its limits come from the config (hub.offlineStore).
      offlineStore: { ...options.offlineStore, dir: join(context.dataDir, 'uplink'), configPath: 'hub.offlineStore' },
      // What a version before the offline store left in its outbox (state dir) is moved in at the first start.
      legacyOutbox: { store: context.stateStore },
    });
  },
});

function hubAuth(credentials: GatewayCredentials): HubAuth {
  return credentials.mode === 'key'
    ? { mode: 'KEY', deviceSecret: credentials.deviceSecret }
    : { mode: 'CERT', certFile: credentials.certFile, keyFile: credentials.keyFile };
}
