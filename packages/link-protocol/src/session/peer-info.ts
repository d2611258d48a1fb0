/** A subdevice that said HELLO on this link. */
export interface PeerInfo {
  readonly address: number;
  readonly productId: string;
  readonly deviceName: string;
  readonly firmwareVersion: string;
  readonly maxFrameSize: number;
  readonly capabilities: number;
  /** The agreed protocol revision: min(the subdevice's, the gateway's). */
  readonly revision: number;
  /** The agreed optional features: the `Feature` bits both sides implement. */
  readonly features: number;
}

/** Why the engine ended a peer's session. `reboot`: it said HELLO again, or BYE(reboot). */
export type PeerDetachReason = 'keepalive_timeout' | 'goodbye' | 'reboot' | 'link_lost' | 'stopped';

/** Why a HELLO is refused (see RefusalReason), and what the subdevice may show. */
export interface HelloRefusal {
  readonly reason: number;
  readonly message: string;
  /** How long the subdevice must wait before its next HELLO. Default 60 000 ms. */
  readonly retryAfterMs?: number;
}
