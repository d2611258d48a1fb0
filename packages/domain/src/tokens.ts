/** DI tokens for the ports. Only packages/app and apps/ bind them to concrete adapters. */
export const HUB_TRANSPORT = Symbol.for('iotgw.HubTransport');
export const FIRMWARE_STORE = Symbol.for('iotgw.FirmwareStore');
export const SUBDEVICE_LINKS = Symbol.for('iotgw.SubdeviceLinks');
export const STATE_STORE = Symbol.for('iotgw.StateStore');
export const SECRET_STORE = Symbol.for('iotgw.SecretStore');
export const CLOCK = Symbol.for('iotgw.Clock');
export const LOGGER = Symbol.for('iotgw.Logger');
export const GATEWAY_SETTINGS = Symbol.for('iotgw.GatewaySettings');
