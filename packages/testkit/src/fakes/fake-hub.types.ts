import type { DataChannel, GatewayIdentity, OtaReport, SubdeviceId } from '@iotgw/domain';

export type HubBatchOp = 'online' | 'offline' | 'bind' | 'unbind';
export type HubOp = HubBatchOp | 'listBound' | 'publish' | 'report' | 'rrpc' | 'shadow' | 'time';

export interface PublishedData {
  readonly subdevice: SubdeviceId;
  readonly channel: DataChannel;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1;
}

export type RecordedReport =
  | { readonly subdevice: SubdeviceId; readonly kind: 'version'; readonly version: string }
  | { readonly subdevice: SubdeviceId; readonly kind: 'progress'; readonly report: OtaReport };

export interface RecordedRrpcReply {
  readonly subdevice: SubdeviceId;
  readonly processId: string;
  readonly payload: Uint8Array;
}

export interface FakeHubOptions {
  readonly gateway?: GatewayIdentity;
  /** Subdevices the hub knows, with the secret a bind must present. */
  readonly subdevices?: ReadonlyArray<{ readonly subdevice: SubdeviceId; readonly secret: string }>;
  /** Subdevices already bound to this gateway. */
  readonly bound?: readonly SubdeviceId[];
  /** Default for CallOptions.timeoutMs (10 s, like the MQTT adapter). */
  readonly defaultTimeoutMs?: number;
  /** QoS 1 messages kept while disconnected (default 1000). */
  readonly outboxLimit?: number;
}

/** A fault injected into the next operation of a kind. */
export type Control = { kind: 'fail'; hubCode: number } | { kind: 'delay'; ms: number } | { kind: 'drop' };

export interface Outgoing {
  readonly op: 'publish' | 'report';
  readonly deliver: () => void;
  /** For data: the subdevice that must be online before it may go out. */
  readonly subdevice?: string;
}

export function bytesOf(payload: Uint8Array | string): Uint8Array {
  return typeof payload === 'string' ? new TextEncoder().encode(payload) : Uint8Array.from(payload);
}

export const DEFAULT_GATEWAY: GatewayIdentity = Object.freeze({ productId: 'GWPRODUCT1', deviceName: 'gateway' });
