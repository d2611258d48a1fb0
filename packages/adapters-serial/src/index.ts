export * from './serial-port-stream.js';
export * from './serial-stream-provider.js';
export * from './serial-subdevice-link.options.js';
export * from './serial-subdevice-link.js';
