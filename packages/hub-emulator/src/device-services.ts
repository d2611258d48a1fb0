import { parseSubdeviceKey, REMOTE_CONFIG_DISABLED_RESULT, type HubLogLevel, type Logger } from '@iotgw/domain';
import {
  configOperationResultTopic,
  decodeConfigRequest,
  decodeLogLevelRequest,
  decodeLogUpload,
  encodeConfigMessage,
  encodeLogLevelMessage,
  logOperationResultTopic,
  verifyDeviceHttpRequest,
} from '@iotgw/protocol-tencent';
import { BoundedLog } from './bounded-log.js';
import type { DeviceRegistry } from './device-registry.js';


export interface UploadedLogLine {
  readonly at: number;
  readonly device: string;
  readonly line: string;
}

export interface DeviceServicesOptions {
  readonly registry: DeviceRegistry;
  readonly logger: Logger;
  readonly now: () => number;
  readonly send: (topic: string, payload: string, qos: 0 | 1) => Promise<void>;
  readonly protocolError: (topic: string, reason: string) => void;
  /** Uploaded lines kept (newest), for the console and tests. Default 2000. */
  readonly logHistory?: number;
}

/** How far an upload's X-TC-Timestamp may be from the emulator clock, seconds. */
const TIMESTAMP_WINDOW_SEC = 600;

/**
 * The hub's device services for any device: remote configuration (`$config`: answers `get`,
 * pushes from the console, 1001 when disabled for the product), the log level the console sets
 * (`$log`), and the signed log upload (`POST /device/reportlog`), checked like the platform does.
 */
export class DeviceServices {
  readonly uploadedLogs: BoundedLog<UploadedLogLine>;
  readonly #configs = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #configDisabled = new Set<string>();
  readonly #logLevels = new Map<string, HubLogLevel>();

  constructor(private readonly options: DeviceServicesOptions) {
    this.uploadedLogs = new BoundedLog(options.logHistory ?? 2000);
  }

  configOf(device: string): Readonly<Record<string, unknown>> | undefined {
    return this.#configs.get(device);
  }

  logLevelOf(device: string): HubLogLevel {
    return this.#logLevels.get(device) ?? 'none';
  }

  /** Remote configuration on or off for a product (the console's switch); on by default. */
  setConfigEnabled(productId: string, enabled: boolean): void {
    if (enabled) this.#configDisabled.delete(productId);
    else this.#configDisabled.add(productId);
  }

  async handleConfigRequest(device: string, topic: string, payload: Buffer): Promise<void> {
    if (!decodeConfigRequest(payload).ok) return this.options.protocolError(topic, 'config request: not {"type":"get"}');
    const disabled = this.#configDisabled.has(parseSubdeviceKey(device).productId);
    const config = this.#configs.get(device);
    this.options.logger.info('configuration asked', { device, answer: disabled ? 'disabled (1001)' : config ? 'sent' : 'none held' });
    const reply = disabled ? { type: 'reply' as const, result: REMOTE_CONFIG_DISABLED_RESULT, payload: undefined } : { type: 'reply' as const, result: 0, payload: config };
    await this.options.send(configOperationResultTopic(parseSubdeviceKey(device)), encodeConfigMessage(reply), 1);
  }

  /** The console pushes a configuration to a device (and holds it for its next `get`). */
  async pushConfig(device: string, config: Readonly<Record<string, unknown>>): Promise<void> {
    this.#configs.set(device, config);
    this.options.logger.info('configuration pushed', { device });
    await this.options.send(configOperationResultTopic(parseSubdeviceKey(device)), encodeConfigMessage({ type: 'push', result: 0, payload: config }), 1);
  }

  async handleLogLevelRequest(device: string, topic: string, payload: Buffer): Promise<void> {
    const request = decodeLogLevelRequest(payload);
    if (!request.ok) return this.options.protocolError(topic, request.error.message);
    await this.#sendLevel(device, request.value.clientToken);
  }

  /** The console sets a device's log level; the device hears it at once. */
  async setLogLevel(device: string, level: HubLogLevel): Promise<void> {
    this.#logLevels.set(device, level);
    this.options.logger.info('log level set', { device, level });
    await this.#sendLevel(device, undefined);
  }

  /**
   * `POST /device/reportlog`: checks the X-TC-* signature with the device's secret (as text, the
   * platform's way), then keeps the lines. Returns the HTTP status and the platform-shaped body.
   */
  receiveLogUpload(host: string, header: (name: string) => string | undefined, body: string): { status: number; body: unknown } {
    const refuse = (status: number, code: string, message: string): { status: number; body: unknown } => {
      this.options.logger.warn('log upload refused', { reason: message });
      return { status, body: { Response: { Error: { Code: code, Message: message }, RequestId: String(this.options.now()) } } };
    };
    const upload = decodeLogUpload(body);
    if (!upload.ok) return refuse(400, 'InvalidParameter', upload.error.message);
    const device = `${upload.value.productId}/${upload.value.deviceName}`;
    const registered = this.options.registry.getByKey(device);
    if (!registered) return refuse(404, 'ResourceNotFound.DeviceNotExist', `device ${device} is not registered`);
    const refusal = verifyDeviceHttpRequest({
      host,
      path: '/device/reportlog',
      body,
      header,
      secret: registered.deviceSecret,
      secretName: 'the device secret',
      nowSec: this.options.now() / 1000,
      maxSkewSec: TIMESTAMP_WINDOW_SEC,
    });
    if (refusal) return refuse(refusal.code === 'InvalidParameter.SignatureHeaders' ? 400 : 401, refusal.code, refusal.message);
    const at = this.options.now();
    for (const line of upload.value.lines) this.uploadedLogs.push({ at, device, line });
    this.options.logger.info('log lines uploaded', { device, lines: upload.value.lines.length });
    return { status: 200, body: { Response: { RequestId: String(at) } } };
  }

  async #sendLevel(device: string, clientToken: string | undefined): Promise<void> {
    const message = encodeLogLevelMessage({ level: this.logLevelOf(device), result: 0, clientToken, timestamp: Math.floor(this.options.now() / 1000) });
    await this.options.send(logOperationResultTopic(parseSubdeviceKey(device)), message, 1);
  }
}
