import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, toGatewayError, type GatewayError } from '@iotgw/domain';
import { resolveSecret, toAppConfig, type AppAssembly, type ToAppConfigOptions } from '../plugins.js';
import { checkDataDir } from './data-dir.js';
import { parseDeviceInfo, type DeviceInfo } from './device-info.js';
import { defaultGatewayConfig, parseGatewayConfig, type GatewayConfig } from './gateway-config.js';
import { checkLinkSubdevices } from './link-subdevices.js';
import { checkSerialPaths } from './serial-paths.js';
import { effectiveConfig, type StoredRemoteConfig } from '../device-services/remote-config-store.js';

/** A config file's text; a missing or unreadable file is a ConfigError naming the flag. */
export async function readConfigText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(flag, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; check the path`, { cause: error });
  }
}

export interface StartFiles {
  readonly deviceInfo: string;
  readonly config?: string | undefined;
}

export interface StartConfig {
  readonly info: DeviceInfo;
  readonly config: GatewayConfig;
  readonly assembly: AppAssembly;
  /** Data dir entries that were readable by others and are now owner-only. */
  readonly tightened: number;
  /** Set when the gateway starts degraded (a full data dir). */
  readonly dataDirWarning?: string | undefined;
  /** The configuration the hub pushed, when this start runs on it instead of the file's. */
  readonly remote?: StoredRemoteConfig | undefined;
  /** Warnings for the operator (a pushed config that no longer validates, ...). */
  readonly warnings: readonly string[];
}

/**
 * Everything `iotgw start` checks before it connects, in order: both files parse, every link names
 * a subdevice of the device file, every secret reference resolves, the data dir can be written.
 */
export async function loadStartConfig(files: StartFiles, options: ToAppConfigOptions & { readonly remoteConfig?: boolean } = {}): Promise<StartConfig> {
  const info = parseDeviceInfo(await readConfigText(files.deviceInfo, '--device-info'), files.deviceInfo);
  const fileConfig = files.config ? parseGatewayConfig(await readConfigText(files.config, '--config'), files.config) : defaultGatewayConfig();
  const warnings: string[] = [];
  // A configuration the hub pushed (kept in the data dir) takes the file's place until rolled back.
  const { config, remote } = options.remoteConfig === false
    ? { config: fileConfig, remote: undefined }
    : await effectiveConfig(fileConfig, resolve(options.baseDir ?? process.cwd(), fileConfig.dataDir), (w) => warnings.push(w));
  const assembly = await toAppConfig(info, config, { ...options, deviceInfoFile: files.deviceInfo });
  const dataDir = await checkDataDir(assembly.config.dataDir ?? config.dataDir, files.config);
  return { info, config, assembly, tightened: dataDir.tightened, dataDirWarning: dataDir.warning, remote, warnings };
}

/**
 * What `iotgw validate` checks in a parsed iotgw config beyond its shape, with the same functions
 * `start` uses (secrets, data dir) and without leaving anything behind; plus each serial path,
 * which `start` would wait for and then refuse. Returns every problem, not just the first.
 */
export async function checkConfigEnvironment(
  config: GatewayConfig,
  configFile: string,
  options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly baseDir?: string; readonly info?: { readonly info: DeviceInfo; readonly file: string } } = {},
): Promise<GatewayError[]> {
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? process.env;
  const problems: GatewayError[] = [];
  const attempt = async (check: () => unknown): Promise<void> => {
    try {
      await check();
    } catch (error) {
      problems.push(toGatewayError(error));
    }
  };
  if (options.info) {
    const { info, file } = options.info;
    await attempt(() => checkLinkSubdevices(info, config, file));
  }
  for (const [key, ref] of Object.entries(config.secrets)) await attempt(() => resolveSecret(key, ref, baseDir, env));
  problems.push(...(await checkSerialPaths(config, baseDir)));
  await attempt(() => checkDataDir(resolve(baseDir, config.dataDir), configFile, { dryRun: true }));
  return problems;
}
