import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  FileStateStore,
  type AdapterRegistry,
  WinstonLogger,
  type GatewayConfig as AppGatewayConfig,
  type GatewayOverrides,
} from '@iotgw/app';
import { ConfigError, subdeviceKey, type GatewayCredentials, type GatewayProfile, type Logger } from '@iotgw/domain';
import { optionsOf, type AdapterSection } from './config/adapter-sections.js';
import type { DeviceInfo } from './config/device-info.js';
import type { GatewayConfig } from './config/gateway-config.js';
import { checkLinkSubdevices } from './config/link-subdevices.js';
import { selfUpdateAssembly } from './config/self-update-config.js';
import { enrolmentAssembly } from './config/enrolment-config.js';
import { packageVersion } from './cli/version.js';

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
  /** The adapters the config was parsed against (default the bundled ones). */
  readonly registry?: AdapterRegistry;
}

/**
 * Turns the vendor file and the iotgw config into what `assembleGateway` takes: adapter choices
 * with their options, the gateway profile adapters connect as, subdevices, OTA settings, secrets
 * resolved from their references, and the infrastructure (winston logger, file state store).
 */
export async function toAppConfig(info: DeviceInfo, config: GatewayConfig, options: ToAppConfigOptions = {}): Promise<AppAssembly> {
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? process.env;
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(baseDir, config.dataDir);
  const logger = options.logger ?? new WinstonLogger({ level: config.logLevel });

  // Declared subdevices: the vendor list; a link may only name those.
  checkLinkSubdevices(info, config, options.deviceInfoFile, options.registry);
  const subdevices = new Map(info.subdevices.map((s) => [subdeviceKey(s), s]));
  const productSecrets: Record<string, string> = {};
  for (const [pid, ref] of Object.entries(config.subdevices?.productSecrets ?? {})) {
    productSecrets[pid] = await resolveSecret(pid, ref, baseDir, env, `subdevices.productSecrets.${pid}`);
  }

  const secrets: Record<string, string> = {};
  for (const [key, ref] of Object.entries(config.secrets)) {
    secrets[key] = await resolveSecret(key, ref, baseDir, env);
  }
  const gateway: GatewayProfile = {
    identity: info.gateway,
    region: info.region,
    credentials: credentialsOf(info, baseDir),
    dataChannels: config.dataChannels,
    productChannels: config.channels,
    firmwareSources: { allowLoopback: config.ota.allowLoopback, allowLinkLocal: config.ota.allowLinkLocal },
  };
  const hubOptions = optionsOf(config.hub);
  const hubTimeoutMs = typeof hubOptions.operationTimeoutMs === 'number' ? hubOptions.operationTimeoutMs : 10_000;
  const enrolment = enrolmentAssembly(config.subdevices, productSecrets, hubTimeoutMs);

  const selfUpdate = selfUpdateAssembly(config.selfUpdate, baseDir, packageVersion());
  return {
    logger,
    config: {
      dataDir,
      baseDir,
      gateway,
      hub: choiceOf(config.hub),
      firmware: choiceOf(config.firmware),
      links: config.links.map(choiceOf),
      subdevices: [...subdevices.values()],
      // The use cases batch and time hub calls as the hub adapter does, when it says how.
      ...numberOption(hubOptions, 'batchSize', 'batchSize'),
      ...numberOption(hubOptions, 'operationTimeoutMs', 'hubTimeoutMs'),
      downlinkQueueLength: config.downlink.queueLength,
      ...numberOption(hubOptions, 'rrpcTimeoutMs', 'rrpcTimeoutMs'),
      ota: {
        concurrencyPerLink: config.ota.concurrencyPerLink,
        allowedHosts: config.ota.allowedHosts,
        allowLoopback: config.ota.allowLoopback,
        allowLinkLocal: config.ota.allowLinkLocal,
        maxImageBytes: config.ota.maxImageBytes,
      },
      secrets,
      ...(selfUpdate.settings ? { selfUpdate: selfUpdate.settings } : {}),
      ...(enrolment.onUndeclaredAttach ? { onUndeclaredAttach: enrolment.onUndeclaredAttach } : {}),
      // Undeclared subdevices of these products may say HELLO on a link: the gateway registers them.
      ...(enrolment.admitProducts.length > 0 ? { admitProducts: enrolment.admitProducts } : {}),
    },
    overrides: { logger, stateStore: FileStateStore.inDataDir(dataDir), env, ...(selfUpdate.installer ? { installer: selfUpdate.installer } : {}),
      ...(enrolment.registrar ? { registrar: enrolment.registrar } : {}),
    },
  };
}

/** An adapter section of the iotgw config as the adapter registry takes it (also for links changed live). */
export function choiceOf(section: AdapterSection): { adapter: string; options: Record<string, unknown> } {
  return { adapter: section.adapter, options: optionsOf(section) };
}

function numberOption<K extends string>(options: Readonly<Record<string, unknown>>, from: string, to: K): Partial<Record<K, number>> {
  const value = options[from];
  return typeof value === 'number' ? ({ [to]: value } as Partial<Record<K, number>>) : {};
}

function credentialsOf(info: DeviceInfo, baseDir: string): GatewayCredentials {
  const auth = info.auth;
  if (auth.mode === 'key') return { mode: 'key', deviceSecret: auth.deviceSecret };
  return {
    mode: 'cert',
    certFile: resolve(baseDir, auth.certFile),
    keyFile: resolve(baseDir, auth.keyFile),
    ...(auth.caFile ? { caFile: resolve(baseDir, auth.caFile) } : {}),
  };
}

type SecretRef = GatewayConfig['secrets'][string];

/** Reads one secret reference; the error names the reference, never a value. */
export async function resolveSecret(
  key: string,
  ref: SecretRef,
  baseDir: string,
  env: Readonly<Record<string, string | undefined>>,
  field = `secrets.${key}`,
): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new ConfigError(field, `environment variable ${ref.env} is not set: export it before starting`);
    return value;
  }
  const file = resolve(baseDir, ref.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read secret file ${file}: check the path and its permissions`, { cause: error });
  }
  const value = text.trim();
  if (!value) throw new ConfigError(field, `secret file ${file} is empty`);
  return value;
}
