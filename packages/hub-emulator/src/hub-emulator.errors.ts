import { GatewayError, ValidationError, type GatewayErrorOptions } from '@iotgw/domain';

/** A registry or admin request names a device or binding that does not exist or is malformed. */
export class RegistryError extends ValidationError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super(message, options);
  }
}

/** The emulator could not start (port in use, unreadable registry, ...). */
export class HubEmulatorStartError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('internal', message, options);
  }
}

/**
 * An admin API request the emulator refuses outright (HTTP `status`): no or a wrong token (401),
 * a body that is not JSON (415), a firmware path outside the firmware directory (403), an upload
 * over the size limit (413).
 */
export class AdminRequestError extends ValidationError {
  constructor(
    readonly status: 401 | 403 | 413 | 415,
    message: string,
    options?: GatewayErrorOptions,
  ) {
    super(message, options);
  }
}
