import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidDeviceName, type Logger } from '@iotgw/domain';
import { DYNREG_PATH, encryptDynregPayload, parseJsonObject, verifyDeviceHttpRequest } from '@iotgw/protocol-tencent';
import type { DeviceRegistry } from './device-registry.js';
import { headerOf, readRequestBody } from './device-request.js';

const MAX_BODY_BYTES = 4096;
/** Requests signed further from the hub's clock than this are refused (replays). */
const MAX_SKEW_SEC = 300;

/**
 * The platform's dynamic registration, `POST /device/register` (see protocol-tencent's
 * dynamic-registration.ts for the wire format and its sources): checks the `X-TC-*` signature
 * against the product secret (the StringToSign's host is the request's Host header), creates the
 * device with a random secret and answers it AES-encrypted with the product secret. A device
 * already in the registry gets its secret again.
 *
 * Errors use the Tencent Cloud API 3.0 shape `{"Response":{"Error":{"Code","Message"},"RequestId"}}`;
 * the codes are the emulator's own (the SDKs only check for a Payload) and say what is wrong.
 */
export class DynamicRegistrationHandler {
  constructor(
    private readonly registry: DeviceRegistry,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns true when it handled the request. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname !== DYNREG_PATH) return false;
    this.#serve(req, res).catch((error: unknown) => {
      this.logger.warn('dynamic registration failed', { error: (error as Error).message });
      if (!res.headersSent) reply(res, 500, { Error: { Code: 'InternalError', Message: 'the emulator failed to register the device' } });
    });
    return true;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return reply(res, 405, { Error: { Code: 'UnsupportedOperation', Message: 'use POST' } });
    const body = await readRequestBody(req, MAX_BODY_BYTES);
    if (body === undefined) return refuse(res, 'InvalidParameter.BodyTooLarge', `the body is over ${MAX_BODY_BYTES} bytes`);
    const parsed = parseJsonObject(body);
    const productId = parsed.ok ? parsed.value['ProductId'] : undefined;
    const deviceName = parsed.ok ? parsed.value['DeviceName'] : undefined;
    if (typeof productId !== 'string' || typeof deviceName !== 'string') return refuse(res, 'InvalidParameter', 'the body must be {"ProductId":"...","DeviceName":"..."}');
    const log = { device: `${productId}/${deviceName}` };
    const product = this.registry.getProduct(productId);
    if (!product) {
      this.logger.warn('dynamic registration refused: unknown product', log);
      return refuse(res, 'ResourceNotFound.ProductNotExist', `product ${productId} does not exist`);
    }
    const refusal = verifyDeviceHttpRequest({
      host: String(req.headers.host ?? ''),
      path: DYNREG_PATH,
      body,
      header: (name) => headerOf(req, name),
      secret: product.productSecret,
      secretName: `product ${productId}'s secret`,
      nowSec: this.now() / 1000,
      maxSkewSec: MAX_SKEW_SEC,
    });
    if (refusal) {
      this.logger.warn('dynamic registration refused', { ...log, reason: refusal.message });
      return refuse(res, refusal.code, refusal.message);
    }
    if (!product.dynamicRegistration) {
      this.logger.warn('dynamic registration refused: turned off for the product', log);
      return refuse(res, 'UnauthorizedOperation.DynamicRegistrationDisabled', `dynamic registration is turned off for product ${productId}`);
    }
    if (!isValidDeviceName(deviceName)) return refuse(res, 'InvalidParameter.DeviceName', `device name ${JSON.stringify(deviceName)} is not valid`);
    let device = this.registry.get(productId, deviceName);
    if (!device) {
      await this.registry.addDevice({ productId, deviceName, deviceSecret: randomBytes(16).toString('base64') });
      device = this.registry.get(productId, deviceName);
      this.logger.info('device created by dynamic registration', log);
    } else this.logger.info('device registered again (dynamic registration)', log);
    const sealed = encryptDynregPayload({ encryptionType: 2, psk: device?.deviceSecret ?? '' }, product.productSecret);
    reply(res, 200, { Len: sealed.len, Payload: sealed.payload });
  }
}

function refuse(res: ServerResponse, code: string, message: string): void {
  reply(res, 200, { Error: { Code: code, Message: message } });
}

function reply(res: ServerResponse, status: number, response: Record<string, unknown>): void {
  const text = JSON.stringify({ Response: { ...response, RequestId: randomUUID() } });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
