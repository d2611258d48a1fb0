export * from './config/device-info.js';
export * from './config/gateway-config.js';
