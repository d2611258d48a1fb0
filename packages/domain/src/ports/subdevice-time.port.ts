import type { SubdeviceLink } from './subdevice-link.port.js';

/** What the gateway knows of hub time right now. */
export interface HubTimeReading {
  /** Unix ms. */
  readonly unixMs: number;
  /** True when it comes from the hub's time service (an offset kept by the gateway); false: the gateway's own clock. */
  readonly synced: boolean;
}

/**
 * A link whose subdevices may ask for hub time (the iotgw link protocol's TIME feature): the link
 * answers them itself from the source it is given, at once (no hub round trip per request).
 */
export interface TimeServingLink {
  /** Sets where the link's answers come from (replaces any earlier source). */
  serveTime(source: () => HubTimeReading): void;
}

export function servesTime(link: SubdeviceLink): link is SubdeviceLink & TimeServingLink {
  return typeof (link as Partial<TimeServingLink>).serveTime === 'function';
}
