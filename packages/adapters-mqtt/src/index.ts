export { MqttHubTransport } from './mqtt-hub-transport.js';
export { resolveEndpoint, type MqttHubTransportOptions, type HubAuth, type ResolvedEndpoint } from './mqtt-hub-transport.options.js';
export { DROPPED_MESSAGE_TOPIC, OversizePublishFilter, type DroppedMessage, type FilteredBytes } from './oversize-publish-filter.js';
export * from './descriptor.js';
export type { LegacyOutboxOptions } from './legacy-outbox.js';
