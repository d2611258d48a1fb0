export { MqttHubTransport } from './mqtt-hub-transport.js';
export { resolveEndpoint, type MqttHubTransportOptions, type HubAuth, type OutboxOverflowPolicy, type ResolvedEndpoint } from './mqtt-hub-transport.options.js';
export { OutboxOverflowError } from './outbox-overflow.error.js';
