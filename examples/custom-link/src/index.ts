import { tcpJsonLinkAdapter } from './descriptor.js';

/** What iotgw imports from a plugin: its adapter descriptors. */
export const adapters = [tcpJsonLinkAdapter];

export { tcpJsonLinkAdapter, tcpJsonLinkOptions, type TcpJsonLinkConfig } from './descriptor.js';
export { TcpJsonLink, type TcpJsonLinkOptions, type TcpSubdevice } from './tcp-json-link.js';
export { parseLine, dataLine, type Hello, type SubdeviceMessage } from './line-protocol.js';
