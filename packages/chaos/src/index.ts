export { Rig, GATEWAY_KEY, SUBDEVICE_PRODUCT, type RigOptions, type RigSubdevice } from './rig/rig.js';
export { TcpProxy, type ProxyStats } from './rig/tcp-proxy.js';
export { HubHandle, type HubState, type FirmwareRef } from './rig/hub-handle.js';
export { GatewayHandle, IOTGW_BIN, type GatewayExit } from './rig/gateway-handle.js';
export { SubdeviceHandle, type SubdeviceState } from './rig/subdevice-handle.js';
export { SocatLink, findSocat } from './rig/socat-link.js';
export { account, total, readAcks, readReceipts, type Accounting, type AckRecord, type Receipt } from './rig/ledger.js';
export { sleep, until, rssOf } from './rig/processes.js';
