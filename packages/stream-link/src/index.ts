export * from './link-errors.js';
export * from './served-subdevices.js';
export * from './link-protocol-subdevice-link.options.js';
export * from './link-protocol-subdevice-link.js';
