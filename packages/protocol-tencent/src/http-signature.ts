import { createHash, createHmac } from 'node:crypto';

/**
 * The X-TC-* signature of the hub's device HTTP APIs (dynamic registration `/device/register`,
 * log upload `/device/reportlog`), as Tencent's "签名方法" document and the Java/Python SDKs
 * compute it:
 *
 *   StringToSign = "POST\n" + host + "\n" + path + "\n" + "" + "\n" + algorithm + "\n" +
 *                  timestamp + "\n" + nonce + "\n" + lowercase_hex(SHA256(body))
 *   X-TC-Signature = base64(HMAC-SHA256(key = UTF-8 bytes of the secret, StringToSign))
 *
 * The key is the secret's text as written (not base64-decoded): the device secret for log upload,
 * the product secret for dynamic registration.
 */
export interface DeviceHttpRequestInput {
  /** Host as sent in the URL (no scheme, no port unless the URL has one). */
  readonly host: string;
  /** Path of the API, e.g. `/device/reportlog`. */
  readonly path: string;
  /** Exact body bytes sent (the signature covers their hash). */
  readonly body: string;
  /** Sensitive: used to sign, never copied into the result. */
  readonly secret: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly nonce: number;
}

export const DEVICE_HTTP_ALGORITHM = 'hmacsha256';

export function deviceHttpStringToSign(input: Omit<DeviceHttpRequestInput, 'secret'>): string {
  const bodyHash = createHash('sha256').update(input.body, 'utf8').digest('hex');
  return ['POST', input.host, input.path, '', DEVICE_HTTP_ALGORITHM, String(input.timestamp), String(input.nonce), bodyHash].join('\n');
}

export function signDeviceHttpRequest(input: DeviceHttpRequestInput): string {
  return createHmac('sha256', Buffer.from(input.secret, 'utf8')).update(deviceHttpStringToSign(input), 'utf8').digest('base64');
}

/** The headers a signed device HTTP request carries (besides its content type). */
export function deviceHttpHeaders(input: DeviceHttpRequestInput): Record<string, string> {
  return {
    'X-TC-Algorithm': DEVICE_HTTP_ALGORITHM,
    'X-TC-Timestamp': String(input.timestamp),
    'X-TC-Nonce': String(input.nonce),
    'X-TC-Signature': signDeviceHttpRequest(input),
  };
}
