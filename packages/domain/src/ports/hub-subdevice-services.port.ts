import type { CallOptions } from '../call-options.js';
import type { SubdeviceId } from '../subdevice-id.js';
import type { JsonValue } from './state-store.port.js';

/*
 * The hub's device services for subdevices (RRPC, shadow, time), as optional capabilities of a
 * HubTransport: a hub adapter implements the ones its hub has and the gateway's use cases run
 * only those (each has its guard, like `offersDeviceServices`). The matching events
 * (`rrpcRequest`, `shadowDelta`, `broadcast`) are on HubTransportEvents: a hub without the
 * service simply never emits them. The MQTT adapter and FakeHub offer all three.
 */

/** The hub's RRPC: a caller in the cloud waits (about 4 s) for the subdevice's answer. */
export interface RrpcRequest {
  readonly subdevice: SubdeviceId;
  /** The hub's process id: the last level of `$rrpc/rxd/{pid}/{dev}/{processId}`, echoed in the reply. */
  readonly processId: string;
  readonly payload: Uint8Array;
  /** When the request arrived (the transport's clock, ms), so the deadline counts from there. */
  readonly receivedAt: number;
}

/** A shadow state object (`reported`, `desired`, `delta`): JSON, as the hub keeps it. */
export type ShadowState = { [key: string]: JsonValue };

/** The hub pushed a shadow delta: desired state the subdevice does not report yet. */
export interface ShadowDelta {
  readonly subdevice: SubdeviceId;
  /** The shadow's version after the change that caused it. */
  readonly version: number;
  readonly state: ShadowState;
}

/** A subdevice's shadow as the hub holds it (`get`). */
export interface ShadowDocument {
  readonly version: number;
  readonly reported: ShadowState;
  readonly desired: ShadowState | undefined;
  /** What desired asks that reported does not say yet; undefined when nothing. */
  readonly delta: ShadowState | undefined;
}

export interface ShadowUpdate {
  /** Fields to set in `reported` (a null value deletes the field). */
  readonly reported?: ShadowState;
  /** Clear `desired` (`"desired": null`), as the vendor SDKs do once a delta was handled. */
  readonly clearDesired?: boolean;
}

/** A hub transport that answers RRPC requests it emits as `rrpcRequest` events. */
export interface HubRrpc {
  /**
   * Answers an RRPC request on `$rrpc/txd/{pid}/{dev}/{processId}`, QoS 0 like the vendor SDKs.
   * Never queued: the hub's caller has given up after a few seconds, so while disconnected it
   * rejects with HubDisconnectedError instead of answering late. A process id that is not 1..32
   * of `[A-Za-z0-9_-]` rejects with ValidationError.
   */
  replyRrpc(subdevice: SubdeviceId, processId: string, payload: Uint8Array, options?: CallOptions): Promise<void>;
}

/** A hub transport that reads and updates subdevices' shadows (and emits `shadowDelta`). */
export interface HubShadows {
  /**
   * The subdevice's shadow (`get` on `$shadow/operation/{pid}/{dev}`, matched by clientToken).
   * Only for an online subdevice (its shadow topics follow its online, as its data topics):
   * otherwise, and while disconnected, HubDisconnectedError. A non-zero result: HubRefusedError
   * with the hub's code. TimeoutError by default after 10 s.
   */
  getShadow(subdevice: SubdeviceId, options?: CallOptions): Promise<ShadowDocument>;
  /** Updates the subdevice's shadow (no version check); resolves with the new version. Errors as `getShadow`. */
  updateShadow(subdevice: SubdeviceId, update: ShadowUpdate, options?: CallOptions): Promise<{ readonly version: number }>;
}

/** A hub transport that asks the hub's time service. */
export interface HubTimeService {
  /**
   * Hub time from the hub's time service (`$sys/operation` get time, the gateway's own topic):
   * the hub's unix ms at the moment the reply arrived, NTP-corrected for the round trip, and that
   * moment on the transport's clock. HubDisconnectedError while disconnected; TimeoutError (10 s).
   */
  hubTime(options?: CallOptions): Promise<{ readonly unixMs: number; readonly at: number }>;
}

export function offersRrpc(hub: unknown): hub is HubRrpc {
  return typeof (hub as Partial<HubRrpc> | null)?.replyRrpc === 'function';
}

export function offersShadows(hub: unknown): hub is HubShadows {
  const h = hub as Partial<HubShadows> | null;
  return typeof h?.getShadow === 'function' && typeof h.updateShadow === 'function';
}

export function offersHubTime(hub: unknown): hub is HubTimeService {
  return typeof (hub as Partial<HubTimeService> | null)?.hubTime === 'function';
}
