// Node-only helpers (processes, ports): kept out of the main entry, whose fakes run anywhere.
export * from './mosquitto-broker.js';
export * from './json-child.js';
export * from './service-node-options.js';
