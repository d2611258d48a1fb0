import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { SubdeviceId } from '@iotgw/domain';
import type { SignMethod } from './key-auth.js';

export type BindAuthType = 'psk' | 'certificate';

/** One `devices` entry of a bind request. */
export interface BindDeviceEntry {
  readonly subdevice: SubdeviceId;
  readonly signature: string;
  readonly random: number;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly signMethod: SignMethod;
  readonly authType: BindAuthType;
}

export function bindSignatureText(subdevice: SubdeviceId, random: number, timestamp: number): string {
  return `${subdevice.productId}${subdevice.deviceName};${random};${timestamp}`;
}

/**
 * base64(HMAC(key = UTF-8 bytes of the subdevice secret, `{pid}{dev};{random};{timestamp}`)).
 * Unlike the MQTT password the secret is NOT base64-decoded: that is how the hub checks it.
 */
export function signBind(
  subdevice: SubdeviceId,
  secret: string,
  random: number,
  timestamp: number,
  signMethod: SignMethod = 'hmacsha1',
): string {
  return createHmac(signMethod === 'hmacsha1' ? 'sha1' : 'sha256', Buffer.from(secret, 'utf8'))
    .update(bindSignatureText(subdevice, random, timestamp), 'utf8')
    .digest('base64');
}

export interface CreateBindEntryInput {
  readonly subdevice: SubdeviceId;
  /** Sensitive: used to sign, never copied into the entry. */
  readonly secret: string;
  readonly signMethod?: SignMethod;
  readonly random?: number;
  readonly timestamp?: number;
}

export function createBindEntry(input: CreateBindEntryInput): BindDeviceEntry {
  const random = input.random ?? randomInt(1, 1_000_000_000);
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const signMethod = input.signMethod ?? 'hmacsha1';
  return {
    subdevice: { productId: input.subdevice.productId, deviceName: input.subdevice.deviceName },
    signature: signBind(input.subdevice, input.secret, random, timestamp, signMethod),
    random,
    timestamp,
    signMethod,
    authType: 'psk',
  };
}

/** The hub's check of a bind entry against the subdevice secret. Never throws. */
export function verifyBindSignature(entry: BindDeviceEntry, secret: string): boolean {
  try {
    const expected = Buffer.from(signBind(entry.subdevice, secret, entry.random, entry.timestamp, entry.signMethod), 'utf8');
    const given = Buffer.from(String(entry.signature), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  } catch {
    return false;
  }
}
