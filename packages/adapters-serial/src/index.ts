export * from './serial-subdevice-link.js';
export * from './serial-subdevice-link.options.js';
export * from './serial-byte-stream.js';
