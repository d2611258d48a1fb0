export * from './simulated-ble-peripheral.js';
export * from './simulated-ble-central.js';
export * from './simulated-ble-subdevice.js';
