import type { CallOptions } from '../call-options.js';
import type { SubdeviceId } from '../subdevice-id.js';
import type { ShadowState } from './hub-subdevice-services.port.js';
import type { SubdeviceLink } from './subdevice-link.port.js';

/**
 * A link whose subdevices take shadow deltas and report shadow state (the iotgw link protocol's
 * SHADOW feature); they report with the link event `shadowReported`.
 *
 * Contract:
 * - `sendShadowDelta` resolves once the subdevice acknowledged the delta (as `send`); a subdevice
 *   that cannot take deltas rejects at once with LinkError 'link.unavailable'; not attached:
 *   'link.unknown_subdevice'; detached meanwhile: 'link.disconnected'.
 * - `acceptsShadow` says whether an attached subdevice announced the ability (false when not attached).
 */
export interface ShadowCapableLink {
  sendShadowDelta(subdevice: SubdeviceId, delta: { readonly version: number; readonly state: ShadowState }, options?: CallOptions): Promise<void>;
  acceptsShadow(subdevice: SubdeviceId): boolean;
}

export function handlesShadow(link: SubdeviceLink): link is SubdeviceLink & ShadowCapableLink {
  return typeof (link as Partial<ShadowCapableLink>).sendShadowDelta === 'function';
}
