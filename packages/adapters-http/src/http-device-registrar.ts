import got from 'got';
import {
  RegistrationRefusedError,
  TimeoutError,
  ValidationError,
  subdeviceKey,
  withDeadline,
  type CallOptions,
  type DeviceRegistrar,
  type SubdeviceId,
} from '@iotgw/domain';
import { DYNREG_DEFAULT_HOST, DYNREG_PATH, createDynregRequest, decryptDynregPayload, parseJsonObject } from '@iotgw/protocol-tencent';

export interface HttpDeviceRegistrarOptions {
  /** productId → product secret (sensitive: signs requests, decrypts replies, never logged). */
  readonly productSecrets: Readonly<Record<string, string>>;
  /** The platform's base URL; default `https://ap-guangzhou.gateway.tencentdevices.com` (the emulator: its HTTP URL). */
  readonly baseUrl?: string;
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * DeviceRegistrar over the platform's HTTPS API (`POST /device/register`, see protocol-tencent):
 * signs with the product secret, decrypts the PSK from the reply. Refusals name the platform's
 * answer (`Error.Code` and `Message`); a reply that does not decrypt says the product secret is
 * probably wrong. No secret ever goes into an error or a log.
 */
export class HttpDeviceRegistrar implements DeviceRegistrar {
  readonly #url: URL;

  constructor(private readonly options: HttpDeviceRegistrarOptions) {
    this.#url = new URL(DYNREG_PATH, options.baseUrl ?? `https://${DYNREG_DEFAULT_HOST}`);
  }

  canRegister(productId: string): boolean {
    return Object.hasOwn(this.options.productSecrets, productId);
  }

  register(device: SubdeviceId, options: CallOptions = {}): Promise<string> {
    const key = subdeviceKey(device);
    return withDeadline(`registering ${key}`, options, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async (signal) => {
      const productSecret = this.options.productSecrets[device.productId];
      if (productSecret === undefined) throw new ValidationError(`no product secret for ${device.productId}: add it to the dynamic registration config to register its devices`);
      // The StringToSign names the host as the request carries it (with a port when not the default).
      const request = createDynregRequest({ device, productSecret, host: this.#url.host });
      let text: string;
      try {
        const response = await got.post(this.#url, { body: request.body, headers: request.headers, signal, throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS } });
        if (response.statusCode !== 200) throw new RegistrationRefusedError(`the platform refused to register ${key}: HTTP ${response.statusCode}`);
        text = response.body;
      } catch (error) {
        if (error instanceof RegistrationRefusedError || signal.aborted) throw error;
        if ((error as { code?: string }).code === 'ETIMEDOUT') throw new TimeoutError(`registering ${key}`, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, { cause: error });
        throw new RegistrationRefusedError(`cannot reach the platform to register ${key} (${this.#url.origin}): ${(error as Error).message}`, { cause: error });
      }
      const parsed = parseJsonObject(text);
      const response = parsed.ok ? (parsed.value['Response'] as Record<string, unknown> | undefined) : undefined;
      if (!response || typeof response !== 'object') throw new RegistrationRefusedError(`the platform's answer to registering ${key} is not {"Response": ...}`);
      const failure = response['Error'] as { Code?: unknown; Message?: unknown } | undefined;
      if (failure && typeof failure === 'object') {
        throw new RegistrationRefusedError(`the platform refused to register ${key}: ${String(failure.Code)}: ${String(failure.Message)}`, {
          details: { hubCode: String(failure.Code) },
        });
      }
      const payload = response['Payload'];
      const len = response['Len'];
      if (typeof payload !== 'string' || payload.length === 0) throw new RegistrationRefusedError(`the platform's answer to registering ${key} has no Payload`);
      let credentials;
      try {
        credentials = decryptDynregPayload(payload, productSecret, typeof len === 'number' ? len : undefined);
      } catch (error) {
        throw new RegistrationRefusedError(`registering ${key}: ${(error as Error).message}`, { cause: error });
      }
      if (credentials.encryptionType !== 2) throw new RegistrationRefusedError(`${key} is a certificate device: iotgw binds subdevices with a PSK (key authentication) only`);
      return credentials.psk;
    });
  }
}
