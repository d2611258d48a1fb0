import type { CallOptions } from '../call-options.js';

/** The data channels a gateway uses: the same shape as `GatewayProfile.dataChannels`/`productChannels`. */
export interface ChannelDeclaration {
  /** Topic words followed and publishable for every product (`data`, ...). */
  readonly dataChannels: readonly string[];
  /** Each product's custom topics by product id: `publish` carry uplink, `subscribe` downlink. */
  readonly productChannels: Readonly<Record<string, { readonly publish: readonly string[]; readonly subscribe: readonly string[] }>>;
}

/**
 * A hub transport that takes a new channel declaration while running (a configuration from the
 * hub changed `channels` or `dataChannels`). Optional, like RRPC and shadows: a hub adapter
 * without it keeps the declaration it was built with (the change then waits for a restart).
 */
export interface HubChannels {
  /**
   * Contract: from the call on, `publishData` allows and refuses by `declaration`; for every
   * subdevice online on the current connection, newly declared subscribe channels are
   * subscribed and dropped ones unsubscribed on that same connection (no reconnect, the outbox
   * and its queued readings untouched, also those on a channel no longer declared: they were
   * accepted and are sent). Subdevices that come online later follow the new declaration.
   * While disconnected only the declaration changes (the next online subscribes by it).
   * Resolves when the broker acknowledged the (un)subscriptions; a lost connection in between is
   * no error (the next online subscribes by the new declaration).
   */
  declareChannels(declaration: ChannelDeclaration, options?: CallOptions): Promise<void>;
}

export function offersChannelDeclaration(hub: unknown): hub is HubChannels {
  return typeof (hub as Partial<HubChannels> | null)?.declareChannels === 'function';
}
