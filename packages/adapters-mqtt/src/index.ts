export { MqttHubTransport } from './mqtt-hub-transport.js';
export { resolveEndpoint, type MqttHubTransportOptions, type HubAuth, type ResolvedEndpoint } from './mqtt-hub-transport.options.js';
export { PacketSizeGuard } from './packet-size-guard.js';
