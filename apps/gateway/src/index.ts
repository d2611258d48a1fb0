export * from './config/device-info.js';
export * from './config/gateway-config.js';
export * from './cli/main.js';
export * from './cli/output.js';
