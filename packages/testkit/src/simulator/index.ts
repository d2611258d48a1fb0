export * from './byte-stream.js';
export * from './throttled-pipe.js';
export * from './subdevice-simulator.js';
