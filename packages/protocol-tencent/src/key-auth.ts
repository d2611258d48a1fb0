import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export type SignMethod = 'hmacsha1' | 'hmacsha256';

/** The sdkappid our gateway sends; the hub (and our emulator) accept any. */
export const DEFAULT_SDK_APP_ID = '21010406';

export interface KeyAuthInput {
  readonly productId: string;
  readonly deviceName: string;
  /** The device secret as issued by the hub (base64). Sensitive. */
  readonly deviceSecret: string;
  /** 5 alphanumerics; random when omitted. */
  readonly connId?: string;
  /** Unix seconds the credentials stay valid until; now + 1 h when omitted. */
  readonly expiry?: number;
  readonly signMethod?: SignMethod;
  readonly sdkAppId?: string;
}

export interface KeyAuthCredentials {
  readonly clientId: string;
  readonly username: string;
  /** Sensitive: never log it. */
  readonly password: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomConnId(): string {
  let id = '';
  for (let i = 0; i < 5; i++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return id;
}

export function keyAuthClientId(productId: string, deviceName: string): string {
  return `${productId}${deviceName}`;
}

export function keyAuthUsername(clientId: string, connId: string, expiry: number, sdkAppId = DEFAULT_SDK_APP_ID): string {
  return `${clientId};${sdkAppId};${connId};${expiry}`;
}

function hmacHex(method: SignMethod, key: Uint8Array, text: string): string {
  return createHmac(method === 'hmacsha1' ? 'sha1' : 'sha256', key).update(text, 'utf8').digest('hex');
}

/**
 * Whether a device secret is written as the console shows it (base64). Node's decoder skips
 * characters it does not know, so a mistyped secret would sign with the wrong key and only fail
 * later as a refused CONNECT: callers check it up front instead.
 */
export function isBase64Secret(deviceSecret: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(deviceSecret);
}

function base64Key(deviceSecret: string): Uint8Array {
  return new Uint8Array(Buffer.from(deviceSecret, 'base64'));
}

/** `hex(HMAC(base64decode(secret), username));{method}`. */
export function keyAuthPassword(username: string, deviceSecret: string, signMethod: SignMethod = 'hmacsha1'): string {
  return `${hmacHex(signMethod, base64Key(deviceSecret), username)};${signMethod}`;
}

export function buildKeyAuth(input: KeyAuthInput): KeyAuthCredentials {
  const clientId = keyAuthClientId(input.productId, input.deviceName);
  const expiry = input.expiry ?? Math.floor(Date.now() / 1000) + 3600;
  const username = keyAuthUsername(clientId, input.connId ?? randomConnId(), expiry, input.sdkAppId);
  return { clientId, username, password: keyAuthPassword(username, input.deviceSecret, input.signMethod) };
}

export interface ParsedUsername {
  readonly clientId: string;
  readonly sdkAppId: string;
  readonly connId: string;
  /** As sent: unix seconds (C SDK) or milliseconds (Python SDK). */
  readonly expiry: number;
}

export function parseKeyAuthUsername(username: string): ParsedUsername | undefined {
  if (typeof username !== 'string') return undefined;
  const parts = username.split(';');
  if (parts.length !== 4) return undefined;
  const [clientId, sdkAppId, connId, expiryText] = parts as [string, string, string, string];
  if (!clientId || !sdkAppId || !connId || !/^\d{1,16}$/.test(expiryText)) return undefined;
  return { clientId, sdkAppId, connId, expiry: Number(expiryText) };
}

export type KeyAuthVerdict =
  | { readonly ok: true; readonly signMethod: SignMethod; readonly username: ParsedUsername }
  | { readonly ok: false; readonly reason: string };

export interface VerifyKeyAuthInput {
  readonly clientId: string;
  readonly username: string;
  readonly password: string | Uint8Array;
  readonly deviceSecret: string;
}

/** The hub's check (for the emulator): accepts both sign methods and any sdkappid. Never throws. */
export function verifyKeyAuth(input: VerifyKeyAuthInput): KeyAuthVerdict {
  const parsed = parseKeyAuthUsername(input.username);
  if (!parsed) return { ok: false, reason: 'username is not {clientId};{sdkappid};{connid};{expiry}' };
  if (parsed.clientId !== input.clientId) return { ok: false, reason: 'username clientId does not match the client id' };
  const password = typeof input.password === 'string' ? input.password : new TextDecoder().decode(input.password);
  const semi = password.lastIndexOf(';');
  const method = password.slice(semi + 1);
  if (semi < 0 || (method !== 'hmacsha1' && method !== 'hmacsha256')) {
    return { ok: false, reason: 'password must end with ;hmacsha1 or ;hmacsha256' };
  }
  const expected = Buffer.from(hmacHex(method, base64Key(input.deviceSecret), input.username), 'utf8');
  const given = Buffer.from(password.slice(0, semi).toLowerCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'password signature does not match' };
  }
  return { ok: true, signMethod: method, username: parsed };
}
