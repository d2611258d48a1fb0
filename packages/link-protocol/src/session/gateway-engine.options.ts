import type { FramingOptions } from '../frame.js';
import type { FirmwareTransferOptions } from './firmware-sender.js';
import type { HelloRefusal, PeerDetachReason, PeerInfo } from './peer-info.js';
import type { Scheduler } from './scheduler.js';

export interface GatewayEngineOptions {
  readonly scheduler?: Scheduler;
  readonly framing?: FramingOptions;
  /** Told to subdevices in HELLO_ACK: how often to send KEEPALIVE. Default 1000 ms. */
  readonly keepaliveIntervalMs?: number;
  /** Detach a subdevice heard nothing from for this long. Default 3500 ms. */
  readonly keepaliveTimeoutMs?: number;
  /** DATA retransmit interval. Default 300 ms. */
  readonly ackTimeoutMs?: number;
  /** DATA attempts before `sendData` rejects. Default 5. */
  readonly maxAttempts?: number;
  /** Housekeeping interval (timeouts, retransmits). Default 25 ms. */
  readonly tickMs?: number;
  readonly firmware?: FirmwareTransferOptions;
  /** Highest protocol revision to agree to (tests pin 1 to play an old gateway). Default the latest. */
  readonly revision?: number;
  /** Optional features (`Feature` bits) to agree to. Default every one implemented. */
  readonly features?: number;
  /** REQUEST resend interval until the RESPONSE comes (feature REQUESTS). Default 500 ms. */
  readonly requestRetryMs?: number;
}

export interface GatewayEngineHooks {
  /** Bytes to write to the link. Must not throw. */
  transmit(bytes: Uint8Array): void;
  /**
   * Whether to serve the subdevice that said HELLO (called for each new session, not for a
   * repeated HELLO of an attached one). Return a refusal to answer HELLO_REFUSED instead of
   * HELLO_ACK: nothing from that subdevice is then delivered.
   */
  admit?(peer: PeerInfo): HelloRefusal | undefined;
  attached?(peer: PeerInfo): void;
  detached?(peer: PeerInfo, reason: PeerDetachReason): void;
  /**
   * A DATA payload, delivered once per seq. Return a promise to delay its DATA_ACK (RELIABLE_DATA
   * sessions) until the application has made the reading safe: the ack goes when it resolves; if
   * it rejects no ack goes, and the subdevice's next retransmission is handed over again.
   * Retransmissions arriving meanwhile are neither delivered nor acknowledged. Return nothing to
   * acknowledge at once. `channel` is `data` for DATA, the named one for CHANNEL_DATA (feature
   * CHANNELS; the gateway decides whether the subdevice's product has it).
   */
  data?(peer: PeerInfo, payload: Uint8Array, channel: string): void | Promise<unknown>;
  /** The subdevice reported shadow state (feature SHADOW): the JSON bytes of its `reported` object. */
  shadowReport?(peer: PeerInfo, document: Uint8Array): void;
  /** Hub time for a TIME_REQUEST (feature TIME); without it the gateway's own clock, unsynced. */
  time?(): { readonly unixMs: number; readonly synced: boolean };
}

