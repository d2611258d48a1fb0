import type { CallOptions } from '../call-options.js';
import type { SubdeviceId } from '../subdevice-id.js';
import type { SubdeviceLink } from './subdevice-link.port.js';

/** How long a subdevice gets to answer a request by default: under the hub's ~4 s RRPC wait. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3500;

/**
 * A link whose subdevices can answer requests (the hub's RRPC handed down): a capability some
 * links have (the iotgw link protocol's REQUESTS feature) and others do not (polled Modbus).
 *
 * Contract:
 * - `request` resolves with the subdevice's answer bytes within `timeoutMs` (default
 *   DEFAULT_REQUEST_TIMEOUT_MS), else rejects with TimeoutError; an answer after that is dropped.
 * - A subdevice that cannot take requests (it did not announce the ability, an old firmware)
 *   rejects at once with LinkError 'link.unavailable', without sending anything.
 * - A subdevice that answered "unsupported" rejects with LinkError 'link.unavailable' (linkCode 1),
 *   one whose handler failed with LinkError 'link.protocol' (linkCode 2, its message kept).
 * - Not attached: LinkError 'link.unknown_subdevice'; detached while waiting: 'link.disconnected'.
 */
export interface RequestCapableLink {
  request(subdevice: SubdeviceId, payload: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
}

export function handlesRequests(link: SubdeviceLink): link is SubdeviceLink & RequestCapableLink {
  return typeof (link as Partial<RequestCapableLink>).request === 'function';
}
