import type { SubdeviceId } from '@iotgw/domain';
import { decoded, refused, type DecodeResult } from './decode-result.js';
import { isObject, looseInteger, nonEmptyString, type JsonObject } from './json-payload.js';

/**
 * Topology pushed by the hub on `$gateway/operation/result/{pid}/{dev}` besides `change` (which
 * lives with the other replies): the console unbound every subdevice of the gateway, or asks it
 * to start (status ≠ 0) or stop (0) searching for new subdevices.
 */
export type TopologyPush = { readonly type: 'unbind_all' } | { readonly type: 'search_devices'; readonly status: number };

/**
 * The gateway's acknowledgement of a hub push, on `$gateway/operation/{pid}/{dev}` at QoS 0, as the
 * vendor C SDK sends it (`_gateway_ack_change`, `_gateway_ack_search`,
 * `_gateway_subdev_unbind_all_reply` in sdk_src/services/gateway/gateway_common.c). The SDK
 * answers every device of a `change` with result 0, and `result` 0 for the other two.
 */
export type TopologyAck =
  | {
      readonly type: 'change';
      readonly status: 0 | 1;
      readonly devices: ReadonlyArray<{ readonly subdevice: SubdeviceId; readonly result: number }>;
    }
  | { readonly type: 'unbind_all'; readonly result: number }
  | { readonly type: 'search_devices'; readonly status: number; readonly result: number };

export const TOPOLOGY_ACK_TYPES: ReadonlySet<string> = new Set(['change', 'unbind_all', 'search_devices']);

/**
 * The SDK's bytes, format string for format string (its spaces after `,` included), so a hub that
 * matches them textually hears what it hears from the C SDK. Names go through JSON.stringify: the
 * SDK pastes them raw, which for the names the hub allows (letters, digits, `-_.:@`) is the same.
 */
export function encodeTopologyAck(ack: TopologyAck): string {
  switch (ack.type) {
    case 'change': {
      const devices = ack.devices.map(
        (d) => `{"product_id":${JSON.stringify(d.subdevice.productId)},"device_name":${JSON.stringify(d.subdevice.deviceName)},"result":${d.result}}`,
      );
      return `{"type":"change", "payload":{"status":${ack.status}, "devices":[${devices.join(',')}]}}`;
    }
    case 'unbind_all':
      return `{"type":"unbind_all", "payload":{"result":${ack.result}}}`;
    case 'search_devices':
      return `{"type":"search_devices", "payload":{"status":${ack.status}, "result":${ack.result}}}`;
  }
}

/** The hub's side of a push (the emulator): `{"type":"unbind_all"}` or search with its status. */
export function encodeTopologyPush(push: TopologyPush): string {
  return push.type === 'unbind_all' ? '{"type":"unbind_all"}' : `{"type":"search_devices","payload":{"status":${push.status}}}`;
}

const MAX_ACK_DEVICES = 10_000;

function payloadOf(message: JsonObject, type: string): DecodeResult<JsonObject> {
  const payload = message['payload'];
  return isObject(payload) ? decoded(payload) : refused(`${type}: "payload" must be an object`);
}

function integerField(payload: JsonObject, field: string, type: string): DecodeResult<number> {
  const value = looseInteger(payload[field]);
  return value === undefined ? refused(`${type}: "payload.${field}" must be an integer`) : decoded(value);
}

/** A push on the result topic whose type is `unbind_all` or `search_devices` (the SDK needs `payload.status` for search). */
export function decodeTopologyPush(message: JsonObject, type: string): DecodeResult<TopologyPush> {
  if (type === 'unbind_all') return decoded({ type: 'unbind_all' });
  const payload = payloadOf(message, type);
  if (!payload.ok) return payload;
  const status = integerField(payload.value, 'status', type);
  if (!status.ok) return status;
  return decoded({ type: 'search_devices', status: status.value });
}

/** For the hub side (emulator): a gateway's acknowledgement of a push. Never throws. */
export function decodeTopologyAck(message: JsonObject, type: string): DecodeResult<TopologyAck> {
  const payload = payloadOf(message, type);
  if (!payload.ok) return payload;
  const result = (p: JsonObject): DecodeResult<number> => integerField(p, 'result', type);
  if (type === 'unbind_all') {
    const r = result(payload.value);
    return r.ok ? decoded({ type, result: r.value }) : r;
  }
  const status = integerField(payload.value, 'status', type);
  if (!status.ok) return status;
  if (type === 'search_devices') {
    const r = result(payload.value);
    return r.ok ? decoded({ type, status: status.value, result: r.value }) : r;
  }
  if (status.value !== 0 && status.value !== 1) return refused('change: "payload.status" must be 0 or 1');
  const list = payload.value['devices'];
  if (!Array.isArray(list)) return refused('change: "payload.devices" must be an array');
  if (list.length > MAX_ACK_DEVICES) return refused(`change: more than ${MAX_ACK_DEVICES} devices`);
  const devices: Array<{ subdevice: SubdeviceId; result: number }> = [];
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    if (!isObject(entry)) return refused(`change: devices[${i}] must be an object`);
    const productId = nonEmptyString(entry['product_id'], 64);
    const deviceName = nonEmptyString(entry['device_name'], 128);
    const r = looseInteger(entry['result']);
    if (productId === undefined || deviceName === undefined || r === undefined) {
      return refused(`change: devices[${i}] needs string "product_id", "device_name" and integer "result"`);
    }
    devices.push({ subdevice: { productId, deviceName }, result: r });
  }
  return decoded({ type: 'change', status: status.value, devices });
}
