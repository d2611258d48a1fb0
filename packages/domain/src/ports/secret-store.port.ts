import type { CallOptions } from '../call-options.js';
import type { SubdeviceId } from '../subdevice-id.js';

/** Subdevice secrets, needed only to sign binds. Implementations never log what they return. */
export interface SecretStore {
  /** The subdevice's device secret, or undefined when none is configured. */
  secretFor(subdevice: SubdeviceId, options?: CallOptions): Promise<string | undefined>;
}
