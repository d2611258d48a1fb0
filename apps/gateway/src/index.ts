export * from './config/device-info.js';
export * from './config/gateway-config.js';
export * from './cli/main.js';
export * from './cli/output.js';
export { createPluginRegistry, toAppConfig, type PluginExtras, type AppAssembly, type ToAppConfigOptions } from './plugins.js';
export { runDemo, type DemoOptions, type DemoReport } from './demo/run-demo.js';
export type { StepResult } from './demo/summary-table.js';
export { SocatPair, findSocat } from './demo/socat-pair.js';
