import type { CallOptions } from '../call-options.js';
import type { EventSource } from '../events.js';
import type { FirmwareJob, OtaReport } from '../firmware.js';
import type { GatewayError } from '../errors.js';
import type { GatewayIdentity, SubdeviceId } from '../subdevice-id.js';
import type { SubdeviceOperationRefusedError } from '../subdevice-refusal.errors.js';
import type { RrpcRequest, ShadowDelta } from './hub-subdevice-services.port.js';

export type HubConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** The hub's verdict for one subdevice in a batched operation. */
export interface SubdeviceResult {
  readonly subdevice: SubdeviceId;
  readonly ok: boolean;
  /** The hub's own `result` (0 success, -1 not bound, -2 system error, ...); kept as sent. */
  readonly hubCode: number;
  readonly message: string;
  /** Set when `ok` is false: the refusal as a named error (`reason`, `hubCode`, the platform's meaning). */
  readonly error?: SubdeviceOperationRefusedError;
}

/** What binding one subdevice needs: the transport signs with the secret and never logs it. */
export interface BindRequest {
  readonly subdevice: SubdeviceId;
  /** The subdevice's device secret. Sensitive. */
  readonly secret: string;
}

/** Topics a subdevice's data can use besides `data`: `event`, `control`, ... */
export type DataChannel = string;

export interface DownlinkData {
  readonly subdevice: SubdeviceId;
  readonly channel: DataChannel;
  readonly payload: Uint8Array;
}

export interface BindingChange {
  readonly subdevices: readonly SubdeviceId[];
  readonly bound: boolean;
}

/** The console asked the gateway to start (`searching`) or stop looking for new subdevices. */
export interface DeviceSearchRequest {
  /** The hub's `status` as sent (non-zero: start). */
  readonly status: number;
  readonly searching: boolean;
}

export interface HubTransportEvents {
  [event: string]: (payload: never) => void;
  /** Every connection state change. */
  state: (state: HubConnectionState) => void;
  /**
   * The connection came back after a loss. Subscriptions are restored by the transport; the
   * hub forgot which subdevices were online, so the app must bring them online again.
   */
  reconnected: (info: { readonly attempt: number }) => void;
  downlink: (data: DownlinkData) => void;
  /** An RRPC request for an online subdevice (answer with `replyRrpc`, or not at all). */
  rrpcRequest: (request: RrpcRequest) => void;
  /** A broadcast to the subdevice's product (`$broadcast/rxd/{pid}/{dev}`): opaque bytes, as data. */
  broadcast: (message: { readonly subdevice: SubdeviceId; readonly payload: Uint8Array }) => void;
  /** Desired shadow state changed for an online subdevice (`delta` on `$shadow/operation/result`). */
  shadowDelta: (delta: ShadowDelta) => void;
  /** The console bound or unbound subdevices of this gateway. */
  bindingChanged: (change: BindingChange) => void;
  /** The console unbound every subdevice of this gateway (`unbind_all`); the transport already acknowledged it. */
  allUnbound: () => void;
  /** The console asked to start or stop searching for new subdevices (`search_devices`); already acknowledged. */
  deviceSearch: (request: DeviceSearchRequest) => void;
  firmwareUpdate: (command: { readonly subdevice: SubdeviceId; readonly job: FirmwareJob }) => void;
  /**
   * The hub pushed an update the gateway must not run (a version with path or control characters,
   * no size, a URL that is not http(s)). `version` is set when the hub can be told (`fail` under
   * it); `reason` says what is wrong, for the report and the log. Emitted instead of `error`.
   */
  firmwareUpdateRefused: (refusal: { readonly subdevice: SubdeviceId; readonly version: string | undefined; readonly reason: string }) => void;
  /** The hub's answer to `requestRemoteConfig`, or the console pushing the gateway's configuration. */
  remoteConfig: (message: RemoteConfigMessage) => void;
  /** The log level the console set for the gateway: an answer to `requestLogLevel`, or a change. */
  logLevel: (level: HubLogLevel) => void;
  /** A problem that no caller is waiting for (malformed message, outbox overflow). */
  error: (error: GatewayError) => void;
}

/** The hub's log levels for a device (what it wants uploaded): `none` uploads nothing. */
export type HubLogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug';

/** The hub's `result` when remote configuration is disabled for the product in the console. */
export const REMOTE_CONFIG_DISABLED_RESULT = 1001;

export interface RemoteConfigMessage {
  /** `reply` answers `requestRemoteConfig`; `push` is the console sending a config unasked. */
  readonly type: 'reply' | 'push';
  /** The hub's result: 0 success, 1001 remote configuration disabled for the product. */
  readonly result: number;
  /** The configuration document, when the hub has one. */
  readonly config: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The gateway's own device services on the hub, beyond speaking for subdevices: remote
 * configuration, the log level the console sets, and events on its own `event` topic. A hub
 * transport offers them when it can (the MQTT adapter and FakeHub do).
 */
export interface GatewayDeviceServices {
  /** Asks for the gateway's configuration; the answer comes as a `remoteConfig` event. */
  requestRemoteConfig(options?: CallOptions): Promise<void>;
  /** Asks for the gateway's log level; the answer comes as a `logLevel` event. */
  requestLogLevel(options?: CallOptions): Promise<void>;
  /** Publishes on the gateway's own `{pid}/{dev}/event` topic (QoS 1: held while disconnected). */
  publishGatewayEvent(payload: Uint8Array, options?: CallOptions): Promise<void>;
}

export function offersDeviceServices(hub: unknown): hub is GatewayDeviceServices {
  const h = hub as Partial<GatewayDeviceServices> | null;
  return typeof h?.requestRemoteConfig === 'function' && typeof h.requestLogLevel === 'function' && typeof h.publishGatewayEvent === 'function';
}

export interface PublishOptions extends CallOptions {
  /** 1 (default): queued while disconnected and delivered after reconnect. 0: best effort. */
  readonly qos?: 0 | 1;
}

/**
 * The gateway's single connection to the hub.
 *
 * Contract:
 * - `connect` resolves once the hub accepted the gateway; it rejects with HubAuthError on refused
 *   credentials and never retries those. After a later loss it reconnects by itself until `close`.
 * - Batched operations resolve with exactly one result per requested subdevice, in request order;
 *   a refusal is a result with `ok: false`, not a rejection. They reject only when no verdict can
 *   be had: HubDisconnectedError, TimeoutError (default 10 s), CancelledError.
 * - Duplicate subdevices in one call are answered once each time they appear.
 * - `publishData`/`report*` with QoS 1 never lose a message: while disconnected they are queued
 *   (bounded; overflow is reported through the `error` event) and sent in order after reconnect.
 * - `publishData` with QoS 1 resolves once the message is durable: acknowledged by the hub, or held
 *   where a crash cannot lose it (an fsynced offline store), whichever comes first; a source that
 *   acknowledges the reading on that (a link's DATA_ACK) never acknowledges what a kill -9 loses.
 *   It rejects (`store.dropped`, `store.full`) when the message could not be held at all.
 * - After `close` every call rejects with HubDisconnectedError and no event fires.
 */
export interface HubTransport extends EventSource<HubTransportEvents> {
  readonly gateway: GatewayIdentity;
  readonly state: HubConnectionState;
  connect(options?: CallOptions): Promise<void>;
  /** Idempotent. Pending calls reject with HubDisconnectedError. */
  close(options?: CallOptions): Promise<void>;

  online(subdevices: readonly SubdeviceId[], options?: CallOptions): Promise<SubdeviceResult[]>;
  offline(subdevices: readonly SubdeviceId[], options?: CallOptions): Promise<SubdeviceResult[]>;
  bind(requests: readonly BindRequest[], options?: CallOptions): Promise<SubdeviceResult[]>;
  unbind(subdevices: readonly SubdeviceId[], options?: CallOptions): Promise<SubdeviceResult[]>;
  /** Subdevices the hub says are bound to this gateway. */
  listBound(options?: CallOptions): Promise<SubdeviceId[]>;

  /** Uplink data on the subdevice's own topic (`{pid}/{dev}/{channel}`). */
  publishData(subdevice: SubdeviceId, channel: DataChannel, payload: Uint8Array, options?: PublishOptions): Promise<void>;
  /** Firmware version the subdevice runs (the hub may answer with a new job). */
  reportVersion(subdevice: SubdeviceId, version: string, options?: CallOptions): Promise<void>;
  /** Downloading reports are QoS 0 (lossy by design); burning/done/fail are QoS 1. */
  reportFirmwareProgress(subdevice: SubdeviceId, report: OtaReport, options?: CallOptions): Promise<void>;
}

/** QoS 1 uplink the transport holds until the hub acknowledges it (an offline store). */
export interface UplinkBacklogStats {
  /** Readings held, in flight included. */
  readonly depth: number;
  /** Bytes the backlog takes (on disk and not yet written). */
  readonly bytes: number;
  /** Age of the oldest held reading, ms (0 when empty). */
  readonly oldestAgeMs: number;
  /** Readings lost by reason (bounds, disk full), since start. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Held readings per subdevice key (`PID/name`), only subdevices holding some. */
  readonly held: Readonly<Record<string, number>>;
  /** Set while the store's disk refuses writes (e.g. ENOSPC): the gateway runs degraded. */
  readonly degraded: { readonly code: string; readonly message: string; readonly sinceMs: number } | undefined;
}

/** A hub transport that holds uplink while the hub is away and can say how much. */
export interface UplinkBacklogReporter {
  uplinkBacklog(): UplinkBacklogStats | undefined;
}

export function reportsUplinkBacklog(hub: unknown): hub is UplinkBacklogReporter {
  return typeof (hub as Partial<UplinkBacklogReporter> | null)?.uplinkBacklog === 'function';
}
