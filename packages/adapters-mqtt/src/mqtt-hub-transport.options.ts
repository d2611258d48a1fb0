import { ConfigError, type GatewayIdentity, type Logger, type StateStore } from '@iotgw/domain';
import type { SignMethod } from '@iotgw/protocol-tencent';

export type OutboxOverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject';

export type HubAuth =
  /** Key auth: username/password signed with the device secret (base64, as issued). */
  | { readonly mode: 'KEY'; readonly deviceSecret: string; readonly signMethod?: SignMethod }
  /** Certificate auth: mutual TLS with the device's certificate files. */
  | { readonly mode: 'CERT'; readonly certFile: string; readonly keyFile: string };

export interface MqttHubTransportOptions {
  readonly gateway: GatewayIdentity;
  readonly auth: HubAuth;
  /** Hub region; anything but `china` becomes part of the host name. */
  readonly region?: string;
  /** Override for private deployments and the emulator. Default `{productId}[.{region}].iotcloud.tencentdevices.com`. */
  readonly host?: string;
  /** Default 8883 with TLS, 1883 without. */
  readonly port?: number;
  /** TLS is on by default; `false` for a plain 1883 connection (emulator, tests). */
  readonly tls?: boolean;
  /** CA file to verify the hub with (the system CAs otherwise). */
  readonly caFile?: string;
  /** Turns certificate verification off. Only for debugging; logged as a warning. */
  readonly insecureSkipVerify?: boolean;
  /** Seconds; default 60. */
  readonly keepaliveSeconds?: number;
  /** Default for each operation (online/offline/bind/unbind/listBound); default 10 s. */
  readonly operationTimeoutMs?: number;
  /** Default for `connect`; default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Subdevices per operation request; default 50. */
  readonly batchSize?: number;
  /** Channels subscribed for each online subdevice; default `['data']`. */
  readonly dataChannels?: readonly string[];
  readonly reconnect?: {
    readonly initialDelayMs?: number;
    readonly maxDelayMs?: number;
    /** 0..1: the share of each delay that is random; default 0.3. */
    readonly jitter?: number;
  };
  readonly outbox?: {
    /** QoS 1 messages kept while disconnected; default 1000. */
    readonly capacity?: number;
    readonly overflow?: OutboxOverflowPolicy;
    /** Where the outbox survives a restart; in memory only when omitted. */
    readonly store?: StateStore;
    /** State key; default `mqtt/outbox/{productId}/{deviceName}` lower-cased. */
    readonly key?: string;
  };
  readonly logger?: Logger;
}

export interface ResolvedEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export function resolveEndpoint(options: MqttHubTransportOptions): ResolvedEndpoint {
  const tls = options.tls ?? true;
  if (options.auth.mode === 'CERT' && !tls) {
    throw new ConfigError('tls', 'certificate auth needs TLS: remove "tls: false" or use key auth');
  }
  const region = options.region && options.region !== 'china' ? `${options.region}.` : '';
  const host = options.host ?? `${options.gateway.productId}.${region}iotcloud.tencentdevices.com`;
  const port = options.port ?? (tls ? 8883 : 1883);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError('port', `${port} is not a TCP port`);
  return { host, port, tls };
}
