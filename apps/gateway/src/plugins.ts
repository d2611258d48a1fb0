import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  FileStateStore,
  PluginRegistry,
  WinstonLogger,
  type GatewayConfig as AppGatewayConfig,
  type GatewayOverrides,
  type PluginChoice,
} from '@iotgw/app';
import { MqttHubTransport, type HubAuth, type MqttHubTransportOptions } from '@iotgw/adapters-mqtt';
import { HttpFirmwareStore } from '@iotgw/adapters-http';
import { SerialSubdeviceLink } from '@iotgw/adapters-serial';
import { BleSubdeviceLink, NobleBleCentral, type BleCentral, type DeclaredBleSubdevice } from '@iotgw/adapters-ble';
import { ConfigError, parseSubdeviceKey, subdeviceKey, type Logger } from '@iotgw/domain';
import { SimulatedBleCentral } from '@iotgw/simulators';
import type { ServedSubdevice } from '@iotgw/stream-link';
import type { DeviceInfo } from './config/device-info.js';
import { linkAddresses, linkSubdevices, type GatewayConfig, type LinkConfig } from './config/gateway-config.js';
import { checkLinkSubdevices } from './config/link-subdevices.js';

/** Extra things a caller (the demo, a test) hands to the factories, e.g. a simulated BLE central. */
export interface PluginExtras {
  readonly bleCentral?: BleCentral;
}

/** A served subdevice as `toAppConfig` hands it to a link factory (plain JSON). */
interface ServedOption {
  readonly id: string;
  readonly address?: number;
}

function servedOf(options: Readonly<Record<string, unknown>>): ServedSubdevice[] {
  const served = (options.serves ?? []) as readonly ServedOption[];
  return served.map((s) => ({ subdevice: parseSubdeviceKey(s.id), ...(s.address !== undefined ? { address: s.address } : {}) }));
}

/**
 * Every adapter the iotgw product ships, by kind name. The factories read the options that
 * `toAppConfig` builds from the iotgw config; a custom product registers more (or replaces one).
 * Test doubles (in-memory hub, store, link) are not shipped: tests register them from the testkit.
 */
export function createPluginRegistry(extras: PluginExtras = {}): PluginRegistry {
  const registry = new PluginRegistry();
  registry.register('hub:mqtt', (options, context) => {
    const mqtt = options as unknown as MqttHubTransportOptions;
    // The offline store lives in the data dir; its limits come from the config (hub.offlineStore).
    return new MqttHubTransport({
      ...mqtt,
      logger: context.logger,
      offlineStore: { ...mqtt.offlineStore, dir: join(context.dataDir, 'uplink'), configPath: 'hub.offlineStore' },
    });
  });
  registry.register('firmware:http', (options, context) => {
    // The OTA use case checks each URL; the store also checks resolved addresses and redirects.
    const sourceGuard = { allowLoopback: options.allowLoopback === true, allowLinkLocal: options.allowLinkLocal === true };
    return new HttpFirmwareStore({ dataDir: context.dataDir, logger: context.logger, sourceGuard });
  });
  registry.register('link:serial', (options, context) => {
    const link = options as unknown as Extract<LinkConfig, { adapter: 'serial' }>;
    return new SerialSubdeviceLink({
      path: link.path,
      baudRate: link.baudRate,
      framing: { crc: link.crc },
      subdevices: servedOf(options),
      logger: context.logger,
      ...(link.name ? { name: link.name } : {}),
    });
  });
  registry.register('link:ble', (options, context) => {
    const link = options as unknown as Extract<LinkConfig, { adapter: 'ble' }>;
    const central: BleCentral =
      extras.bleCentral ?? (link.central === 'simulated' ? (new SimulatedBleCentral()) : new NobleBleCentral());
    const subdevices: DeclaredBleSubdevice[] = link.subdevices.map((s) => ({
      subdevice: parseSubdeviceKey(s.id),
      match: { localName: s.localName },
    }));
    return new BleSubdeviceLink({ central, subdevices, framing: { crc: link.crc }, logger: context.logger, ...(link.name ? { name: link.name } : {}) });
  });
  return registry;
}

export interface AppAssembly {
  readonly config: AppGatewayConfig;
  readonly overrides: GatewayOverrides;
  readonly logger: Logger;
}

export interface ToAppConfigOptions {
  /** Where relative paths in the config (dataDir, secret files) are resolved from. Default cwd. */
  readonly baseDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A logger to use instead of winston at the configured level (tests, the demo). */
  readonly logger?: Logger;
  /** Named in errors about the device file (default "device_info.json"). */
  readonly deviceInfoFile?: string;
}

/**
 * Turns the vendor file and the iotgw config into what `assembleGateway` takes: adapter choices
 * with their options, subdevices, OTA settings, secrets resolved from their references, and the
 * infrastructure (winston logger, file state store in the data dir).
 */
export async function toAppConfig(info: DeviceInfo, config: GatewayConfig, options: ToAppConfigOptions = {}): Promise<AppAssembly> {
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? process.env;
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(baseDir, config.dataDir);
  const logger = options.logger ?? new WinstonLogger({ level: config.logLevel });

  const auth: HubAuth =
    info.auth.mode === 'key'
      ? { mode: 'KEY', deviceSecret: info.auth.deviceSecret }
      : { mode: 'CERT', certFile: resolve(baseDir, info.auth.certFile), keyFile: resolve(baseDir, info.auth.keyFile) };
  const hubOptions: Omit<MqttHubTransportOptions, 'logger'> = {
    gateway: info.gateway,
    auth,
    region: info.region,
    ...(config.hub.host ? { host: config.hub.host } : {}),
    ...(config.hub.port ? { port: config.hub.port } : {}),
    tls: config.hub.tls,
    ...(config.hub.caFile ? { caFile: resolve(baseDir, config.hub.caFile) } : {}),
    insecureSkipVerify: config.hub.insecureSkipVerify,
    operationTimeoutMs: config.hub.operationTimeoutMs,
    batchSize: config.hub.batchSize,
    dataChannels: config.dataChannels,
    maxPacketBytes: config.hub.maxPacketBytes,
    offlineStore: config.hub.offlineStore,
  };

  // Declared subdevices: the vendor list; a link may only name those.
  checkLinkSubdevices(info, config, options.deviceInfoFile);
  const subdevices = new Map(info.subdevices.map((s) => [subdeviceKey(s), s]));
  const links: PluginChoice[] = config.links.map((link) => ({
    kind: `link:${link.adapter}`,
    options: {
      ...(link.adapter === 'serial' ? { ...link, path: resolve(baseDir, link.path) } : link),
      serves: servedBy(link, config.links, [...subdevices.keys()]),
    },
  }));

  const secrets: Record<string, string> = {};
  for (const [key, ref] of Object.entries(config.secrets)) {
    secrets[key] = await resolveSecret(key, ref, baseDir, env);
  }

  return {
    logger,
    config: {
      dataDir,
      hub: { kind: `hub:${config.hub.adapter}`, options: hubOptions },
      firmware: { kind: 'firmware:http', options: { allowLoopback: config.ota.allowLoopback, allowLinkLocal: config.ota.allowLinkLocal } },
      links,
      subdevices: [...subdevices.values()],
      batchSize: config.hub.batchSize,
      hubTimeoutMs: config.hub.operationTimeoutMs,
      rrpcTimeoutMs: config.hub.rrpcTimeoutMs,
      ota: {
        concurrencyPerLink: config.ota.concurrencyPerLink,
        allowedHosts: config.ota.allowedHosts,
        allowLoopback: config.ota.allowLoopback,
        allowLinkLocal: config.ota.allowLinkLocal,
        maxImageBytes: config.ota.maxImageBytes,
      },
      secrets,
    },
    overrides: { logger, stateStore: new FileStateStore(join(dataDir, 'state')), env },
  };
}

/**
 * The subdevices a link serves: those it lists (with their bus addresses); a link that lists none
 * serves every declared subdevice no other link lists. Anyone else saying HELLO on it is refused.
 */
function servedBy(link: LinkConfig, all: readonly LinkConfig[], declared: readonly string[]): ServedOption[] {
  const listed = linkSubdevices(link).map(subdeviceKey);
  if (listed.length > 0) {
    const addresses = linkAddresses(link);
    return listed.map((id) => {
      const address = addresses.get(id);
      return address === undefined ? { id } : { id, address };
    });
  }
  const elsewhere = new Set(all.flatMap((other) => linkSubdevices(other).map(subdeviceKey)));
  return declared.filter((id) => !elsewhere.has(id)).map((id) => ({ id }));
}

type SecretRef = GatewayConfig['secrets'][string];

/** Reads one secret reference; the error names the reference, never a value. */
export async function resolveSecret(key: string, ref: SecretRef, baseDir: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new ConfigError(`secrets.${key}`, `environment variable ${ref.env} is not set: export it before starting`);
    return value;
  }
  const file = resolve(baseDir, ref.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`secrets.${key}`, `cannot read secret file ${file}: check the path and its permissions`, { cause: error });
  }
  const value = text.trim();
  if (!value) throw new ConfigError(`secrets.${key}`, `secret file ${file} is empty`);
  return value;
}
