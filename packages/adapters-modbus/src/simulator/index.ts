export * from './simulated-device.js';
export * from './simulated-energy-meter.js';
export * from './modbus-simulator-server.js';
