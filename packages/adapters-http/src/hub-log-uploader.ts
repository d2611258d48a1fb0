import { randomInt } from 'node:crypto';
import got, { HTTPError, RequestError } from 'got';
import { HubProtocolError, LinkError, withDeadline, type CallOptions, type LogUploader, type SubdeviceId, type UploadLogLine } from '@iotgw/domain';
import { deviceHttpHeaders, encodeLogUpload, LOG_UPLOAD_PATH } from '@iotgw/protocol-tencent';

export interface HubLogUploaderOptions {
  /** The gateway device whose lines these are. */
  readonly gateway: SubdeviceId;
  /** Sensitive: the gateway's device secret (as the console shows it); signs each upload. */
  readonly deviceSecret: string;
  /** Where the hub takes uploads; default Tencent's `https://ap-guangzhou.gateway.tencentdevices.com/device/reportlog`. */
  readonly url?: string;
  /** Unix seconds for the signature; default the system clock. */
  readonly now?: () => number;
}

export const DEFAULT_LOG_UPLOAD_URL = `https://ap-guangzhou.gateway.tencentdevices.com${LOG_UPLOAD_PATH}`;

/**
 * The hub's log upload over HTTPS (got): the Java SDK's body (one `Message` element with every
 * line), signed with the device secret (X-TC-* headers). The hub's refusal comes back as a
 * HubProtocolError naming its code; the network as a LinkError. The secret never leaves in a
 * message or an error.
 */
export class HubLogUploader implements LogUploader {
  readonly #o: HubLogUploaderOptions;
  readonly #url: URL;

  constructor(options: HubLogUploaderOptions) {
    this.#o = options;
    this.#url = new URL(options.url ?? DEFAULT_LOG_UPLOAD_URL);
  }

  upload(lines: readonly UploadLogLine[], options: CallOptions = {}): Promise<void> {
    return withDeadline(`uploading ${lines.length} log line(s) to ${this.#url.host}`, options, 15_000, async (signal) => {
      const body = encodeLogUpload(this.#o.gateway, lines);
      const timestamp = Math.floor(this.#o.now?.() ?? Date.now() / 1000);
      const headers = deviceHttpHeaders({ host: this.#url.host, path: this.#url.pathname, body, secret: this.#o.deviceSecret, timestamp, nonce: randomInt(1, 2 ** 31 - 1) });
      let answer: unknown;
      try {
        answer = await got
          .post(this.#url, { body, headers: { ...headers, 'Content-Type': 'application/json;charset=utf-8' }, signal, retry: { limit: 0 }, throwHttpErrors: false })
          .json();
      } catch (error) {
        if (error instanceof HTTPError || error instanceof RequestError) {
          throw new LinkError('link.unavailable', `log upload to ${this.#url.host} failed: ${error.code ?? error.message}`, { cause: error });
        }
        throw error;
      }
      const refusal = (answer as { Response?: { Error?: { Code?: unknown; Message?: unknown } } } | null)?.Response?.Error;
      if (refusal) throw new HubProtocolError(`the hub refused the log upload: ${String(refusal.Code)}: ${String(refusal.Message)}`);
    });
  }
}
