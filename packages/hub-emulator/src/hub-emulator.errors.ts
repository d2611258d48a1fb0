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
