import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

/** Why the platform refuses a signed device HTTP request, with its error code. */
export type DeviceHttpRefusal =
  | { readonly code: 'InvalidParameter.SignatureHeaders'; readonly message: string }
  | { readonly code: 'AuthFailure.TimestampExpired'; readonly message: string }
  | { readonly code: 'AuthFailure.SignatureFailure'; readonly message: string };

export interface DeviceHttpRequestToVerify {
  readonly host: string;
  readonly path: string;
  /** The body exactly as received. */
  readonly body: string;
  /** Reads a request header by lower-case name. */
  readonly header: (name: string) => string | undefined;
  /** The signing secret as text (device secret for log upload, product secret for registration). */
  readonly secret: string;
  /** How a refusal names the secret, e.g. "the device secret"; default "the secret". */
  readonly secretName?: string;
  /** The verifier's clock, Unix seconds. */
  readonly nowSec: number;
  /** How far X-TC-Timestamp may be from `nowSec`. */
  readonly maxSkewSec: number;
}

/**
 * The platform's check of a signed device HTTP request (the hub side of `deviceHttpHeaders`):
 * headers present, timestamp within the window, signature equal in constant time. Returns the
 * refusal, or undefined when the request is genuine. Never throws.
 */
export function verifyDeviceHttpRequest(request: DeviceHttpRequestToVerify): DeviceHttpRefusal | undefined {
  const timestamp = Number(request.header('x-tc-timestamp') ?? NaN);
  const nonce = Number(request.header('x-tc-nonce') ?? NaN);
  if ((request.header('x-tc-algorithm') ?? '').toLowerCase() !== DEVICE_HTTP_ALGORITHM || !Number.isSafeInteger(timestamp) || !Number.isSafeInteger(nonce)) {
    return { code: 'InvalidParameter.SignatureHeaders', message: `X-TC-Algorithm ${DEVICE_HTTP_ALGORITHM}, X-TC-Timestamp and X-TC-Nonce (integers) are required` };
  }
  if (Math.abs(request.nowSec - timestamp) > request.maxSkewSec) {
    return { code: 'AuthFailure.TimestampExpired', message: `X-TC-Timestamp is more than ${request.maxSkewSec} s away from the hub's clock` };
  }
  const expected = Buffer.from(signDeviceHttpRequest({ host: request.host, path: request.path, body: request.body, secret: request.secret, timestamp, nonce }), 'utf8');
  const given = Buffer.from(request.header('x-tc-signature') ?? '', 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { code: 'AuthFailure.SignatureFailure', message: `the signature does not match ${request.secretName ?? 'the secret'}` };
  }
  return undefined;
}
