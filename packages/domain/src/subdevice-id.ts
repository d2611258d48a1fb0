import { ValidationError } from './errors.js';

/** A device on the hub: product + device name. Subdevices and gateways alike. */
export interface SubdeviceId {
  readonly productId: string;
  readonly deviceName: string;
}

// The hub's rules: product ids are 10 upper-case alphanumerics; device names 1..48 of
// letters, digits and `_ - . : @`. Checking here stops a bad name before it becomes a bad topic.
const PRODUCT_ID = /^[A-Z0-9]{10}$/;
const DEVICE_NAME = /^[A-Za-z0-9_\-.:@]{1,48}$/;

export function isValidProductId(value: string): boolean {
  return PRODUCT_ID.test(value);
}

export function isValidDeviceName(value: string): boolean {
  return DEVICE_NAME.test(value);
}

/** Builds a validated id; throws ValidationError naming the bad part. */
export function subdeviceId(productId: string, deviceName: string): SubdeviceId {
  if (typeof productId !== 'string' || !isValidProductId(productId)) {
    throw new ValidationError(
      `product id ${JSON.stringify(productId)} is not valid: the hub uses 10 upper-case letters or digits (e.g. "ABCDEFGHIJ")`,
    );
  }
  if (typeof deviceName !== 'string' || !isValidDeviceName(deviceName)) {
    throw new ValidationError(
      `device name ${JSON.stringify(deviceName)} is not valid: use 1 to 48 letters, digits or _ - . : @`,
    );
  }
  return Object.freeze({ productId, deviceName });
}

/** `productId/deviceName`: the map key and log form of an id. */
export function subdeviceKey(id: SubdeviceId): string {
  return `${id.productId}/${id.deviceName}`;
}

export function parseSubdeviceKey(key: string): SubdeviceId {
  const slash = key.indexOf('/');
  if (slash < 0) {
    throw new ValidationError(`subdevice ${JSON.stringify(key)} is not valid: write it as PRODUCTID/deviceName`);
  }
  return subdeviceId(key.slice(0, slash), key.slice(slash + 1));
}

export function sameSubdevice(a: SubdeviceId, b: SubdeviceId): boolean {
  return a.productId === b.productId && a.deviceName === b.deviceName;
}

/** The gateway itself is a device with the same kind of id. */
export type GatewayIdentity = SubdeviceId;

/** What a `PRODUCTID/deviceName` key looks like, for config schemas outside the domain. */
export const SUBDEVICE_KEY_PATTERN = /^[A-Z0-9]{10}\/[A-Za-z0-9_\-.:@]{1,48}$/;
