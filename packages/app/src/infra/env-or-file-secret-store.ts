import { readFile } from 'node:fs/promises';
import { ConfigError, subdeviceKey, throwIfAborted, type CallOptions, type SecretStore, type SubdeviceId } from '@iotgw/domain';

export interface EnvOrFileSecretStoreOptions {
  /** `PRODUCTID/deviceName` → secret, e.g. from the config's `secrets` section. Checked first. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Environment to read `IOTGW_SECRET_<PRODUCTID>_<DEVICENAME>` from (non-alphanumerics as `_`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON file `{ "PRODUCTID/deviceName": "secret" }`, read once on first use. */
  readonly file?: string;
}

/** The env variable holding a subdevice's secret. */
export function secretEnvName(subdevice: SubdeviceId): string {
  return `IOTGW_SECRET_${subdevice.productId}_${subdevice.deviceName}`.replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}

/** Subdevice secrets from a map, then environment variables, then a JSON file. Never logs them. */
export class EnvOrFileSecretStore implements SecretStore {
  readonly #options: EnvOrFileSecretStoreOptions;
  #secrets: Readonly<Record<string, string>>;
  #file: Promise<Readonly<Record<string, string>>> | undefined;

  constructor(options: EnvOrFileSecretStoreOptions = {}) {
    this.#options = options;
    this.#secrets = options.secrets ?? {};
  }

  /** The map checked first, replaced while running (a configuration from the hub); the next lookup sees it. */
  replaceSecrets(secrets: Readonly<Record<string, string>>): void {
    this.#secrets = { ...secrets };
  }

  async secretFor(subdevice: SubdeviceId, options: CallOptions = {}): Promise<string | undefined> {
    throwIfAborted(options.signal, 'reading a secret');
    const key = subdeviceKey(subdevice);
    const fromMap = this.#secrets[key];
    if (fromMap) return fromMap;
    const fromEnv = this.#options.env?.[secretEnvName(subdevice)];
    if (fromEnv) return fromEnv;
    if (!this.#options.file) return undefined;
    this.#file ??= loadSecretsFile(this.#options.file);
    return (await this.#file)[key];
  }
}

async function loadSecretsFile(file: string): Promise<Readonly<Record<string, string>>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // The message names the file only: its content may be secret.
    throw new ConfigError('secretsFile', `cannot read ${file} as JSON { "PRODUCTID/deviceName": "secret" }`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('secretsFile', `${file} must hold a JSON object { "PRODUCTID/deviceName": "secret" }`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  return out;
}
