import { subdeviceKey, throwIfAborted, type CallOptions, type SecretStore, type SubdeviceId } from '@iotgw/domain';

/** Secrets keyed by `PRODUCTID/deviceName` (subdeviceKey). */
export class MemorySecretStore implements SecretStore {
  readonly #secrets: Map<string, string>;
  /** Keys looked up, in order (never the secrets). */
  readonly lookups: string[] = [];

  constructor(secrets: ReadonlyMap<string, string> | Readonly<Record<string, string>> = {}) {
    const entries: Iterable<readonly [string, string]> =
      secrets instanceof Map ? (secrets as ReadonlyMap<string, string>).entries() : Object.entries(secrets as Record<string, string>);
    this.#secrets = new Map<string, string>(entries);
  }

  secretFor(subdevice: SubdeviceId, options: CallOptions = {}): Promise<string | undefined> {
    try {
      throwIfAborted(options.signal, 'secret lookup');
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const key = subdeviceKey(subdevice);
    this.lookups.push(key);
    return Promise.resolve(this.#secrets.get(key));
  }

  set(subdevice: SubdeviceId, secret: string): void {
    this.#secrets.set(subdeviceKey(subdevice), secret);
  }

  remove(subdevice: SubdeviceId): void {
    this.#secrets.delete(subdeviceKey(subdevice));
  }
}
