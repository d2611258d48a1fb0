import type { ProductChannelDeclaration } from './product-channels.js';
import { ConfigError, type BackoffPolicyOptions, type Clock, type GatewayIdentity, type Logger } from '@iotgw/domain';
import type { OfflineStoreOptions } from '@iotgw/offline-store';
import type { LegacyOutboxOptions } from './legacy-outbox.js';
import type { SignMethod } from '@iotgw/protocol-tencent';

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
  /** Channels subscribed for each online subdevice (and publishable); default `['data']`. */
  readonly dataChannels?: readonly string[];
  /**
   * Channels each product declares beyond those (its custom topics in the console), by product
   * id: `publish` ones may carry its subdevices' uplink, `subscribe` ones are followed for
   * downlink. `data` and `event` are always publishable; any other uplink channel is refused.
   */
  readonly productChannels?: Readonly<Record<string, ProductChannelDeclaration>>;
  /** Reconnect backoff (the domain's policy): default 500 ms doubling to 30 s, jitter 0.3. */
  readonly reconnect?: BackoffPolicyOptions;
  /**
   * Where QoS 1 uplink waits for the hub's acknowledgement: an append-only segment log (see
   * `@iotgw/offline-store`). With `dir` it survives restarts; without, it is in memory only.
   */
  readonly offlineStore?: Omit<OfflineStoreOptions, 'clock' | 'logger'>;
  /**
   * The StateStore where a version before the offline store kept its QoS 1 outbox: what it holds
   * is moved into the offline store at the first open (then deleted there), so an upgrade loses
   * nothing that was waiting for the hub.
   */
  readonly legacyOutbox?: LegacyOutboxOptions;
  /**
   * A QoS 1 reading sent at once resolves on the hub's PUBACK or the offline store's fsync,
   * whichever comes first. When PUBACKs have been coming back within this many ms (smoothed
   * round trip plus 4× its variation), the fsync waits for that long first, so a reading the hub
   * acknowledges in time costs no fsync; past it, readings are fsynced at once. Default 10; 0: never wait.
   */
  readonly ackGraceMaxMs?: number;
  /** Largest MQTT packet accepted from the hub, and largest uplink message; default 1 MiB. */
  readonly maxPacketBytes?: number;
  /** Time for timeouts, backoff and the store; default the system clock. */
  readonly clock?: Clock;
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
