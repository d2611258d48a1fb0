import { isValidDeviceName, isValidProductId, type SubdeviceId } from '@iotgw/domain';

/** Topic of the gateway's operation requests (gateway → hub). */
export function gatewayOperationTopic(gateway: SubdeviceId): string {
  return `$gateway/operation/${gateway.productId}/${gateway.deviceName}`;
}

/** Topic of the hub's operation replies and `change` notices (hub → gateway). */
export function gatewayOperationResultTopic(gateway: SubdeviceId): string {
  return `$gateway/operation/result/${gateway.productId}/${gateway.deviceName}`;
}

/** A device's own data topic: `{pid}/{dev}/{channel}` (`data`, `event`, `control`, ...). */
export function dataTopic(device: SubdeviceId, channel = 'data'): string {
  return `${device.productId}/${device.deviceName}/${channel}`;
}

export function otaUpdateTopic(device: SubdeviceId): string {
  return `$ota/update/${device.productId}/${device.deviceName}`;
}

export function otaReportTopic(device: SubdeviceId): string {
  return `$ota/report/${device.productId}/${device.deviceName}`;
}

export function shadowOperationTopic(device: SubdeviceId): string {
  return `$shadow/operation/${device.productId}/${device.deviceName}`;
}

export function shadowOperationResultTopic(device: SubdeviceId): string {
  return `$shadow/operation/result/${device.productId}/${device.deviceName}`;
}

/**
 * RRPC (hub docs "RRPC通信"; C SDK `rrpc_client.c`; Python SDK `rrpc.py`): requests arrive on
 * `$rrpc/rxd/{pid}/{dev}/{processId}`, the device subscribes `$rrpc/rxd/{pid}/{dev}/+` and replies
 * on `$rrpc/txd/{pid}/{dev}/{processId}`. The process id is the text after the last `/` (the
 * cloud's integer MessageId; the C SDK keeps at most 16 characters).
 */
export function rrpcRequestFilter(device: SubdeviceId): string {
  return `$rrpc/rxd/${device.productId}/${device.deviceName}/+`;
}

export function rrpcRequestTopic(device: SubdeviceId, processId: string): string {
  return `$rrpc/rxd/${device.productId}/${device.deviceName}/${processId}`;
}

export function rrpcReplyTopic(device: SubdeviceId, processId: string): string {
  return `$rrpc/txd/${device.productId}/${device.deviceName}/${processId}`;
}

/** A process id we accept and echo: 1..32 of letters, digits, `_` and `-` (the hub sends digits). */
export function isValidRrpcProcessId(processId: string): boolean {
  return typeof processId === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(processId);
}

/** Broadcast to every subscribed online device of a product (hub docs "广播通信"; C SDK `broadcast.c`). */
export function broadcastTopic(device: SubdeviceId): string {
  return `$broadcast/rxd/${device.productId}/${device.deviceName}`;
}

/** The hub's system service (time): `{"type":"get","resource":["time"]}` up (C SDK `system_mqtt.c`). */
export function systemOperationTopic(device: SubdeviceId): string {
  return `$sys/operation/${device.productId}/${device.deviceName}`;
}

export function systemOperationResultTopic(device: SubdeviceId): string {
  return `$sys/operation/result/${device.productId}/${device.deviceName}`;
}

export type TopicKind =
  | 'gateway-operation'
  | 'gateway-operation-result'
  | 'ota-update'
  | 'ota-report'
  | 'shadow-operation'
  | 'shadow-operation-result'
  | 'broadcast'
  | 'system-operation'
  | 'system-operation-result'
  | 'config-operation'
  | 'config-operation-result'
  | 'log-operation'
  | 'log-operation-result';

export type ParsedTopic =
  | { readonly kind: TopicKind; readonly device: SubdeviceId }
  | { readonly kind: 'data'; readonly device: SubdeviceId; readonly channel: string }
  | { readonly kind: 'rrpc-request' | 'rrpc-reply'; readonly device: SubdeviceId; readonly processId: string };

// `$prefix/.../{pid}/{dev}` topics, longest prefix first so `.../result` wins over `...`.
const SYSTEM_TOPICS: ReadonlyArray<readonly [string, TopicKind]> = [
  ['$gateway/operation/result/', 'gateway-operation-result'],
  ['$gateway/operation/', 'gateway-operation'],
  ['$ota/update/', 'ota-update'],
  ['$ota/report/', 'ota-report'],
  ['$shadow/operation/result/', 'shadow-operation-result'],
  ['$shadow/operation/', 'shadow-operation'],
  ['$broadcast/rxd/', 'broadcast'],
  ['$sys/operation/result/', 'system-operation-result'],
  ['$sys/operation/', 'system-operation'],
  ['$config/operation/result/', 'config-operation-result'],
  ['$config/operation/', 'config-operation'],
  // The Java SDK asks for its config here; the hub answers on the result topic all the same.
  ['$config/report/', 'config-operation'],
  ['$log/operation/result/', 'log-operation-result'],
  ['$log/operation/', 'log-operation'],
];

const RRPC_TOPICS: ReadonlyArray<readonly [string, 'rrpc-request' | 'rrpc-reply']> = [
  ['$rrpc/rxd/', 'rrpc-request'],
  ['$rrpc/txd/', 'rrpc-reply'],
];

// A channel is one or more plain levels (`data`, `event`, `user/custom`), never a wildcard.
const CHANNEL = /^[A-Za-z0-9_\-.:@]+(\/[A-Za-z0-9_\-.:@]+)*$/;

/** Whether `channel` can follow `{pid}/{dev}/` in a data topic: plain levels, no wildcard, no empty level. */
export function isValidChannel(channel: string): boolean {
  return typeof channel === 'string' && CHANNEL.test(channel);
}

function deviceOf(productId: string | undefined, deviceName: string | undefined): SubdeviceId | undefined {
  if (productId === undefined || deviceName === undefined) return undefined;
  if (!isValidProductId(productId) || !isValidDeviceName(deviceName)) return undefined;
  return { productId, deviceName };
}

/** The device whose RRPC requests a subscription filter `$rrpc/rxd/{pid}/{dev}/+` asks for, if it is one. */
export function parseRrpcRequestFilter(filter: string): SubdeviceId | undefined {
  if (typeof filter !== 'string' || !filter.startsWith('$rrpc/rxd/') || !filter.endsWith('/+')) return undefined;
  const parts = filter.slice('$rrpc/rxd/'.length, -2).split('/');
  return parts.length === 2 ? deviceOf(parts[0], parts[1]) : undefined;
}

/** Recognises a hub topic; undefined for anything else (never throws). */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (typeof topic !== 'string' || topic.length > 512) return undefined;
  if (topic.startsWith('$')) {
    for (const [prefix, kind] of RRPC_TOPICS) {
      if (!topic.startsWith(prefix)) continue;
      const parts = topic.slice(prefix.length).split('/');
      if (parts.length !== 3 || !isValidRrpcProcessId(parts[2]!)) return undefined;
      const device = deviceOf(parts[0], parts[1]);
      return device ? { kind, device, processId: parts[2]! } : undefined;
    }
    for (const [prefix, kind] of SYSTEM_TOPICS) {
      if (!topic.startsWith(prefix)) continue;
      const parts = topic.slice(prefix.length).split('/');
      if (parts.length !== 2) return undefined;
      const device = deviceOf(parts[0], parts[1]);
      return device ? { kind, device } : undefined;
    }
    return undefined;
  }
  const first = topic.indexOf('/');
  const second = first < 0 ? -1 : topic.indexOf('/', first + 1);
  if (second < 0) return undefined;
  const device = deviceOf(topic.slice(0, first), topic.slice(first + 1, second));
  const channel = topic.slice(second + 1);
  if (!device || !CHANNEL.test(channel)) return undefined;
  return { kind: 'data', device, channel };
}
