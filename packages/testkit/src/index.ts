export * from './fakes/manual-clock.js';
export * from './fakes/memory-state-store.js';
export * from './fakes/memory-secret-store.js';
export * from './fakes/capturing-logger.js';
export * from './fakes/fake-hub.js';
export * from './fakes/fake-firmware-store.js';
export * from './fakes/memory-subdevice-link.js';
export * from './ble/index.js';
