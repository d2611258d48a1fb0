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

export type TopicKind =
  | 'gateway-operation'
  | 'gateway-operation-result'
  | 'ota-update'
  | 'ota-report'
  | 'shadow-operation'
  | 'shadow-operation-result'
  | 'config-operation'
  | 'config-operation-result'
  | 'log-operation'
  | 'log-operation-result';

export type ParsedTopic =
  | { readonly kind: TopicKind; readonly device: SubdeviceId }
  | { readonly kind: 'data'; readonly device: SubdeviceId; readonly channel: string };

// `$prefix/.../{pid}/{dev}` topics, longest prefix first so `.../result` wins over `...`.
const SYSTEM_TOPICS: ReadonlyArray<readonly [string, TopicKind]> = [
  ['$gateway/operation/result/', 'gateway-operation-result'],
  ['$gateway/operation/', 'gateway-operation'],
  ['$ota/update/', 'ota-update'],
  ['$ota/report/', 'ota-report'],
  ['$shadow/operation/result/', 'shadow-operation-result'],
  ['$shadow/operation/', 'shadow-operation'],
  ['$config/operation/result/', 'config-operation-result'],
  ['$config/operation/', 'config-operation'],
  // The Java SDK asks for its config here; the hub answers on the result topic all the same.
  ['$config/report/', 'config-operation'],
  ['$log/operation/result/', 'log-operation-result'],
  ['$log/operation/', 'log-operation'],
];

// A channel is one or more plain levels (`data`, `event`, `user/custom`), never a wildcard.
const CHANNEL = /^[A-Za-z0-9_\-.:@]+(\/[A-Za-z0-9_\-.:@]+)*$/;

function deviceOf(productId: string | undefined, deviceName: string | undefined): SubdeviceId | undefined {
  if (productId === undefined || deviceName === undefined) return undefined;
  if (!isValidProductId(productId) || !isValidDeviceName(deviceName)) return undefined;
  return { productId, deviceName };
}

/** Recognises a hub topic; undefined for anything else (never throws). */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (typeof topic !== 'string' || topic.length > 512) return undefined;
  if (topic.startsWith('$')) {
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
