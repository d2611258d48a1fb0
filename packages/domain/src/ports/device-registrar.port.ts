import type { CallOptions } from '../call-options.js';
import type { SubdeviceId } from '../subdevice-id.js';

/**
 * The platform's dynamic registration: a device of a product that allows it gets its device
 * secret from the hub, signed with the product secret.
 *
 * Contract:
 * - `register` resolves with the new device's secret (sensitive: never logged); it rejects with
 *   RegistrationRefusedError naming the hub's answer (wrong product secret, registration off,
 *   unknown product) and never with a secret in the message; TimeoutError/CancelledError as usual.
 * - `canRegister` says whether a product secret is configured for the product (no I/O).
 */
export interface DeviceRegistrar {
  canRegister(productId: string): boolean;
  register(device: SubdeviceId, options?: CallOptions): Promise<string>;
}
