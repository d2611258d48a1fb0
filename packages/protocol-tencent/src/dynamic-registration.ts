import { createCipheriv, createDecipheriv, randomInt } from 'node:crypto';
import { ValidationError, type SubdeviceId } from '@iotgw/domain';
import { deviceHttpHeaders, deviceHttpStringToSign } from './http-signature.js';
import { parseJsonObject } from './json-payload.js';

/**
 * Dynamic registration, the platform's current API (official docs "动态注册接口说明" + "签名方法";
 * iot-device-python `hub.py:dynregDevice`; iot-device-java `dynreg/TXMqttDynreg.java`):
 * `POST https://ap-guangzhou.gateway.tencentdevices.com/device/register`, body exactly
 * `{"ProductId":"P","DeviceName":"D"}`, signed with the **product secret** (the X-TC-* HMAC-SHA256
 * of http-signature.ts); the reply's `Payload` is AES-128-CBC encrypted with the product secret's
 * first 16 characters as key, IV 16 × '0', zero padding.
 */
export const DYNREG_PATH = '/device/register';
export const DYNREG_DEFAULT_HOST = 'ap-guangzhou.gateway.tencentdevices.com';

/** The StringToSign of a registration request (the X-TC-* scheme of http-signature.ts on `/device/register`). */
export function dynregStringToSign(input: { host: string; timestamp: number; nonce: number; body: string }): string {
  return deviceHttpStringToSign({ ...input, path: DYNREG_PATH });
}

/** The request body, with the keys in the docs' order. */
export function dynregBody(device: SubdeviceId): string {
  return JSON.stringify({ ProductId: device.productId, DeviceName: device.deviceName });
}

export interface DynregRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Body and `X-TC-*` headers of one registration request. The product secret only signs. */
export function createDynregRequest(input: {
  device: SubdeviceId;
  productSecret: string;
  host: string;
  timestamp?: number;
  nonce?: number;
}): DynregRequest {
  const body = dynregBody(input.device);
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? randomInt(1, 2_147_483_647);
  const signed = deviceHttpHeaders({ host: input.host, path: DYNREG_PATH, body, secret: input.productSecret, timestamp, nonce });
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  for (const [name, value] of Object.entries(signed)) headers[name.toLowerCase()] = value;
  return { body, headers };
}

/** AES-128 key: the first 16 characters of the product secret (the C SDK refuses shorter ones). */
function aesKey(productSecret: string): Buffer {
  const key = Buffer.from(productSecret.slice(0, 16), 'utf8');
  if (key.length !== 16) throw new ValidationError('the product secret must have at least 16 characters (its first 16 are the AES key of the registration reply)');
  return key;
}

const IV = Buffer.from('0'.repeat(16), 'utf8');

/** What the platform returns encrypted: a PSK device's secret (type 2) or a cert device's PEMs (type 1). */
export type DynregCredentials =
  | { readonly encryptionType: 2; readonly psk: string }
  | { readonly encryptionType: 1; readonly clientCert: string; readonly clientKey: string };

/** The platform's side: `{"encryptionType":2,"psk":...}` zero-padded, AES-128-CBC, base64; with `Len`. */
export function encryptDynregPayload(credentials: DynregCredentials, productSecret: string): { payload: string; len: number } {
  const plain = Buffer.from(JSON.stringify(credentials), 'utf8');
  const padded = Buffer.alloc(Math.ceil(plain.length / 16) * 16);
  plain.copy(padded);
  const cipher = createCipheriv('aes-128-cbc', aesKey(productSecret), IV).setAutoPadding(false);
  return { payload: Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64'), len: plain.length };
}

/**
 * The device's side: base64 → AES-128-CBC (no PKCS7: zero padding) → JSON, cut at `len` when
 * given (the Java SDK) and trailing NULs stripped (the Python SDK). A wrong product secret shows
 * up here as garbage: a ValidationError that says so, never the bytes.
 */
export function decryptDynregPayload(payload: string, productSecret: string, len?: number): DynregCredentials {
  const data = Buffer.from(payload, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new ValidationError(`the registration reply's Payload is not AES blocks (${data.length} bytes)`);
  const decipher = createDecipheriv('aes-128-cbc', aesKey(productSecret), IV).setAutoPadding(false);
  let plain = Buffer.concat([decipher.update(data), decipher.final()]);
  if (len !== undefined && len > 0 && len <= plain.length) plain = plain.subarray(0, len);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end -= 1;
  const parsed = parseJsonObject(plain.subarray(0, end));
  if (!parsed.ok) throw new ValidationError('the registration reply does not decrypt to JSON: is the product secret right?');
  const o = parsed.value;
  if (o['encryptionType'] === 2 && typeof o['psk'] === 'string' && o['psk'].length > 0) return { encryptionType: 2, psk: o['psk'] };
  if (o['encryptionType'] === 1 && typeof o['clientCert'] === 'string' && typeof o['clientKey'] === 'string') {
    return { encryptionType: 1, clientCert: o['clientCert'], clientKey: o['clientKey'] };
  }
  throw new ValidationError('the registration reply has no "psk" (encryptionType 2) nor "clientCert"/"clientKey" (encryptionType 1)');
}
