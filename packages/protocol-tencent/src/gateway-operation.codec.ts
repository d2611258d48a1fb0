import type { SubdeviceId } from '@iotgw/domain';
import type { BindDeviceEntry } from './bind-signature.js';
import { decoded, refused, type DecodeOptions, type DecodeResult } from './decode-result.js';
import { isObject, looseInteger, nonEmptyString, parseJsonObject, type JsonObject } from './json-payload.js';
import { decodeTopologyAck, decodeTopologyPush, encodeTopologyAck, encodeTopologyPush, TOPOLOGY_ACK_TYPES, type TopologyAck, type TopologyPush } from './topology.codec.js';

/** Operations that carry a plain device list and get a per-device `result`. */
export type DeviceListOperation = 'online' | 'offline' | 'unbind';
export type ResultOperation = DeviceListOperation | 'bind';
export type GatewayOperationType = ResultOperation | 'describe_sub_devices' | 'change' | 'unbind_all' | 'search_devices';

/** Gateway → hub, on `$gateway/operation/{pid}/{dev}`: requests, and acknowledgements of the hub's pushes. */
export type GatewayRequest =
  | { readonly type: DeviceListOperation; readonly devices: readonly SubdeviceId[] }
  | { readonly type: 'bind'; readonly devices: readonly BindDeviceEntry[] }
  | { readonly type: 'describe_sub_devices' }
  | TopologyAck;

export interface DeviceResult {
  readonly subdevice: SubdeviceId;
  /** 0 success; anything else is the hub's refusal code, kept as sent. */
  readonly result: number;
}

/** Hub → gateway, on `$gateway/operation/result/{pid}/{dev}`. */
export type GatewayReply =
  | { readonly type: ResultOperation; readonly devices: readonly DeviceResult[] }
  | { readonly type: 'describe_sub_devices'; readonly devices: readonly SubdeviceId[] }
  /** `status` 1: the console bound these subdevices; 0: unbound. */
  | { readonly type: 'change'; readonly status: 0 | 1; readonly devices: readonly SubdeviceId[] }
  | TopologyPush;

// ---------- encoders: the SDK form, byte for byte ----------

function deviceJson(d: SubdeviceId): string {
  return `{"product_id":${JSON.stringify(d.productId)},"device_name":${JSON.stringify(d.deviceName)}`;
}

function envelope(type: string, devicesJson: string[], extra = ''): string {
  return `{"type":"${type}","payload":{${extra}"devices":[${devicesJson.join(',')}]}}`;
}

export function encodeGatewayRequest(request: GatewayRequest): string {
  switch (request.type) {
    case 'describe_sub_devices':
      return '{"type":"describe_sub_devices"}';
    case 'change':
    case 'unbind_all':
    case 'search_devices':
      return encodeTopologyAck(request);
    case 'bind':
      return envelope(
        'bind',
        request.devices.map(
          (e) =>
            `${deviceJson(e.subdevice)},"signature":${JSON.stringify(e.signature)},"random":${e.random},` +
            `"timestamp":${e.timestamp},"signmethod":"${e.signMethod}","authtype":"${e.authType}"}`,
        ),
      );
    default:
      return envelope(request.type, request.devices.map((d) => `${deviceJson(d)}}`));
  }
}

export function encodeGatewayReply(reply: GatewayReply): string {
  switch (reply.type) {
    case 'describe_sub_devices':
      return envelope('describe_sub_devices', reply.devices.map((d) => `${deviceJson(d)}}`));
    case 'change':
      return envelope('change', reply.devices.map((d) => `${deviceJson(d)}}`), `"status":${reply.status},`);
    case 'unbind_all':
    case 'search_devices':
      return encodeTopologyPush(reply);
    default:
      return envelope(reply.type, reply.devices.map((r) => `${deviceJson(r.subdevice)},"result":${r.result}}`));
  }
}

// ---------- decoders: lenient on spelling, strict on meaning; never throw ----------

const RESULT_OPERATIONS = new Set<string>(['online', 'offline', 'bind', 'unbind']);
const MAX_DEVICES = 10_000;

function readType(message: JsonObject): DecodeResult<string> {
  const type = message['type'];
  if (typeof type !== 'string') return refused('message has no string "type"');
  return decoded(type);
}

/** `payload.devices` as an array of objects; a single object is accepted as a list of one. */
function readDeviceObjects(message: JsonObject, type: string): DecodeResult<JsonObject[]> {
  const payload = message['payload'];
  if (!isObject(payload)) return refused(`${type}: "payload" must be an object`);
  const devices = payload['devices'];
  const list: unknown[] = Array.isArray(devices) ? devices : isObject(devices) ? [devices] : [];
  if (!Array.isArray(devices) && !isObject(devices)) return refused(`${type}: "payload.devices" must be an array`);
  if (list.length > MAX_DEVICES) return refused(`${type}: more than ${MAX_DEVICES} devices`);
  const out: JsonObject[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    if (!isObject(entry)) return refused(`${type}: devices[${i}] must be an object`);
    out.push(entry);
  }
  return decoded(out);
}

function readDevice(entry: JsonObject, where: string): DecodeResult<SubdeviceId> {
  const productId = nonEmptyString(entry['product_id'], 64);
  const deviceName = nonEmptyString(entry['device_name'], 128);
  if (productId === undefined) return refused(`${where}: "product_id" must be a non-empty string`);
  if (deviceName === undefined) return refused(`${where}: "device_name" must be a non-empty string`);
  return decoded({ productId, deviceName });
}

function readDeviceList(message: JsonObject, type: string): DecodeResult<SubdeviceId[]> {
  const objects = readDeviceObjects(message, type);
  if (!objects.ok) return objects;
  const out: SubdeviceId[] = [];
  for (let i = 0; i < objects.value.length; i++) {
    const device = readDevice(objects.value[i] as JsonObject, `${type}: devices[${i}]`);
    if (!device.ok) return device;
    out.push(device.value);
  }
  return decoded(out);
}

function readBindEntry(entry: JsonObject, where: string): DecodeResult<BindDeviceEntry> {
  const device = readDevice(entry, where);
  if (!device.ok) return device;
  const signature = nonEmptyString(entry['signature'], 128);
  if (signature === undefined) return refused(`${where}: "signature" must be a non-empty string`);
  const random = looseInteger(entry['random']);
  if (random === undefined) return refused(`${where}: "random" must be an integer`);
  const timestamp = looseInteger(entry['timestamp']);
  if (timestamp === undefined) return refused(`${where}: "timestamp" must be an integer`);
  const signMethod = entry['signmethod'] ?? 'hmacsha1';
  if (signMethod !== 'hmacsha1' && signMethod !== 'hmacsha256') {
    return refused(`${where}: "signmethod" must be hmacsha1 or hmacsha256`);
  }
  const authType = entry['authtype'] ?? 'psk';
  if (authType !== 'psk' && authType !== 'certificate') return refused(`${where}: "authtype" must be psk or certificate`);
  return decoded({
    subdevice: device.value,
    signature,
    random,
    timestamp,
    signMethod: signMethod,
    authType: authType,
  });
}

/** For the hub side (emulator): a gateway's request. */
export function decodeGatewayRequest(payload: string | Uint8Array, options?: DecodeOptions): DecodeResult<GatewayRequest> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const type = readType(parsed.value);
  if (!type.ok) return type;
  if (TOPOLOGY_ACK_TYPES.has(type.value)) return decodeTopologyAck(parsed.value, type.value);
  switch (type.value) {
    case 'describe_sub_devices':
      return decoded({ type: 'describe_sub_devices' });
    case 'online':
    case 'offline':
    case 'unbind': {
      const devices = readDeviceList(parsed.value, type.value);
      if (!devices.ok) return devices;
      return decoded({ type: type.value, devices: devices.value });
    }
    case 'bind': {
      const objects = readDeviceObjects(parsed.value, 'bind');
      if (!objects.ok) return objects;
      const entries: BindDeviceEntry[] = [];
      for (let i = 0; i < objects.value.length; i++) {
        const entry = readBindEntry(objects.value[i] as JsonObject, `bind: devices[${i}]`);
        if (!entry.ok) return entry;
        entries.push(entry.value);
      }
      return decoded({ type: 'bind', devices: entries });
    }
    default:
      return refused(`unknown gateway operation type ${JSON.stringify(type.value.slice(0, 64))}`);
  }
}

/** For the gateway side: a reply or a `change` notice from the hub. */
export function decodeGatewayReply(payload: string | Uint8Array, options?: DecodeOptions): DecodeResult<GatewayReply> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const type = readType(parsed.value);
  if (!type.ok) return type;
  const t = type.value;
  if (t === 'describe_sub_devices') {
    // An empty gateway is answered with no devices at all by some hubs: treat as [].
    const payloadField = parsed.value['payload'];
    if (payloadField === undefined || (isObject(payloadField) && payloadField['devices'] === undefined)) {
      return decoded({ type: t, devices: [] });
    }
    const devices = readDeviceList(parsed.value, t);
    if (!devices.ok) return devices;
    return decoded({ type: t, devices: devices.value });
  }
  if (t === 'change') {
    const payloadField = parsed.value['payload'];
    const status = isObject(payloadField) ? looseInteger(payloadField['status']) : undefined;
    if (status !== 0 && status !== 1) return refused('change: "payload.status" must be 0 or 1');
    const devices = readDeviceList(parsed.value, t);
    if (!devices.ok) return devices;
    return decoded({ type: t, status, devices: devices.value });
  }
  if (t === 'unbind_all' || t === 'search_devices') return decodeTopologyPush(parsed.value, t);
  if (RESULT_OPERATIONS.has(t)) {
    const objects = readDeviceObjects(parsed.value, t);
    if (!objects.ok) return objects;
    const results: DeviceResult[] = [];
    for (let i = 0; i < objects.value.length; i++) {
      const entry = objects.value[i] as JsonObject;
      const device = readDevice(entry, `${t}: devices[${i}]`);
      if (!device.ok) return device;
      const result = looseInteger(entry['result']);
      if (result === undefined) return refused(`${t}: devices[${i}].result must be an integer or numeric string`);
      results.push({ subdevice: device.value, result });
    }
    return decoded({ type: t as ResultOperation, devices: results });
  }
  return refused(`unknown gateway reply type ${JSON.stringify(t.slice(0, 64))}`);
}
