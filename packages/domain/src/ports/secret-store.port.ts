import type { CallOptions } from '../call-options.js';
import type { SubdeviceId } from '../subdevice-id.js';

/** Subdevice secrets, needed only to sign binds. Implementations never log what they return. */
export interface SecretStore {
  /** The subdevice's device secret, or undefined when none is configured. */
  secretFor(subdevice: SubdeviceId, options?: CallOptions): Promise<string | undefined>;
}

/** A secret store that also keeps secrets the gateway obtained itself (dynamic registration). */
export interface SecretKeeper extends SecretStore {
  /** Persists `secret` for `subdevice` (owner-only on disk); never logs it. */
  remember(subdevice: SubdeviceId, secret: string, options?: CallOptions): Promise<void>;
}
