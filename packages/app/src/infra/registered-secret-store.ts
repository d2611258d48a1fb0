import { subdeviceKey, type CallOptions, type SecretKeeper, type SecretStore, type StateStore, type SubdeviceId } from '@iotgw/domain';

/** Where a registered subdevice's secret lives in the StateStore (hex keeps any name a valid key). */
export function registeredSecretKey(subdevice: SubdeviceId): string {
  return `secrets/${Buffer.from(subdeviceKey(subdevice), 'utf8').toString('hex')}`;
}

/**
 * The configured secrets first, then those the platform gave by dynamic registration, kept in
 * the StateStore (the data dir: owner-only files, atomic writes) so a restart need not register
 * again. Neither is ever logged.
 */
export class RegisteredSecretStore implements SecretKeeper {
  constructor(
    private readonly configured: SecretStore,
    private readonly store: StateStore,
  ) {}

  async secretFor(subdevice: SubdeviceId, options: CallOptions = {}): Promise<string | undefined> {
    const configured = await this.configured.secretFor(subdevice, options);
    if (configured) return configured;
    const kept = await this.store.get(registeredSecretKey(subdevice), options);
    return typeof kept === 'string' && kept.length > 0 ? kept : undefined;
  }

  async remember(subdevice: SubdeviceId, secret: string, options: CallOptions = {}): Promise<void> {
    await this.store.put(registeredSecretKey(subdevice), secret, options);
  }
}
