export * from './gatt-profile.js';
export * from './ble-central.port.js';
export * from './ble.errors.js';
export * from './ble-byte-stream.js';
export * from './noble-ble-central.js';
export * from './subdevice-match.js';
export * from './ble-stream-provider.js';
export * from './ble-subdevice-link.js';
