import { parseRrpcRequestFilter, parseTopic, type ParsedTopic } from '@iotgw/protocol-tencent';
import { subdeviceKey } from '@iotgw/domain';
import type { DeviceRegistry } from './device-registry.js';
import { topicListRefusal } from './product-topics.js';

export type AclAction = 'publish' | 'subscribe';

export interface AclDecision {
  allowed: boolean;
  reason: string;
}

// Which direction each system topic may be used in by a device (the hub publishes the other way).
const DEVICE_PUBLISHES = new Set(['gateway-operation', 'ota-report', 'shadow-operation', 'rrpc-reply', 'system-operation', 'config-operation', 'log-operation']);
const DEVICE_SUBSCRIBES = new Set([
  'gateway-operation-result',
  'ota-update',
  'shadow-operation-result',
  'rrpc-request',
  'broadcast',
  'system-operation-result',
  'config-operation-result',
  'log-operation-result',
]);
// A gateway may use these topics of a bound subdevice only while the hub counts it online, as
// its data topics ("代理子设备发布和订阅": after bind and online).
const ONLINE_ONLY = new Set(['data', 'rrpc-request', 'rrpc-reply', 'shadow-operation', 'shadow-operation-result', 'broadcast']);

/**
 * The hub's topic ACL: a device may use only its own topics; a gateway also those of subdevices
 * bound to it, and their data topics only while the subdevice is online through it (its own
 * direct connection, if it has one, does not count). Gateway operation
 * topics belong to the gateway alone. Wildcards are refused (the hub grants exact topics only).
 * Data topics must be in the product's topic list (data, event, control and its custom topics).
 */
export function checkTopicAcl(registry: DeviceRegistry, clientDevice: string, action: AclAction, topic: string): AclDecision {
  // The one wildcard the hub grants: `$rrpc/rxd/{pid}/{dev}/+`, how the SDKs subscribe RRPC.
  const rrpcFilter = action === 'subscribe' ? parseRrpcRequestFilter(topic) : undefined;
  const parsed: ParsedTopic | undefined = rrpcFilter ? { kind: 'rrpc-request', device: rrpcFilter, processId: '+' } : parseTopic(topic);
  if (!parsed) return { allowed: false, reason: 'not a hub topic (or uses a wildcard)' };
  const target = subdeviceKey(parsed.device);
  if (parsed.kind === 'data') {
    const refusal = topicListRefusal(parsed.device.productId, parsed.channel, registry.productTopics(parsed.device.productId));
    if (refusal) return { allowed: false, reason: refusal };
  } else {
    const allowedDirection = action === 'publish' ? DEVICE_PUBLISHES : DEVICE_SUBSCRIBES;
    if (!allowedDirection.has(parsed.kind)) return { allowed: false, reason: `${parsed.kind} topics cannot be used for ${action}` };
  }
  if (parsed.kind === 'gateway-operation' || parsed.kind === 'gateway-operation-result') {
    if (target !== clientDevice) return { allowed: false, reason: 'gateway operation topics belong to the gateway itself' };
    if (registry.getByKey(clientDevice)?.gateway !== true) return { allowed: false, reason: `${clientDevice} is not a gateway device` };
    return { allowed: true, reason: 'own gateway topic' };
  }
  if (target === clientDevice) return { allowed: true, reason: 'own topic' };
  if (!registry.isBound(clientDevice, target)) return { allowed: false, reason: `${target} is not bound to ${clientDevice}` };
  if (ONLINE_ONLY.has(parsed.kind) && !registry.isOnlineViaGateway(target)) return { allowed: false, reason: `${target} is not online through ${clientDevice}` };
  return { allowed: true, reason: 'bound subdevice' };
}
