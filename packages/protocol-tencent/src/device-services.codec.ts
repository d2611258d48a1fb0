import type { HubLogLevel, UploadLogLine } from '@iotgw/domain';
import { decoded, refused, type DecodeOptions, type DecodeResult } from './decode-result.js';
import { isObject, looseInteger, parseJsonObject, type JsonObject } from './json-payload.js';

/*
 * The gateway's own device services on the hub: remote configuration (`$config`) and the log
 * level the console sets (`$log`). Shapes as Tencent's C SDK (remote_config_mqtt.c, log_mqtt.c)
 * and Java SDK (TXMqttConnection, TXMqttLog) send and read them.
 */

// ---------- topics ----------

/** Device → hub: `{"type":"get"}`. (The Java SDK publishes it on `$config/report/...`; the hub takes both.) */
export function configOperationTopic(device: { productId: string; deviceName: string }): string {
  return `$config/operation/${device.productId}/${device.deviceName}`;
}

/** Hub → device: the reply to `get`, and console pushes. */
export function configOperationResultTopic(device: { productId: string; deviceName: string }): string {
  return `$config/operation/result/${device.productId}/${device.deviceName}`;
}

/** Device → hub: `{"type":"get_log_level","clientToken":"..."}`. */
export function logOperationTopic(device: { productId: string; deviceName: string }): string {
  return `$log/operation/${device.productId}/${device.deviceName}`;
}

/** Hub → device: the level, as a reply or when the console changes it. */
export function logOperationResultTopic(device: { productId: string; deviceName: string }): string {
  return `$log/operation/result/${device.productId}/${device.deviceName}`;
}

// ---------- remote configuration ----------

export interface RemoteConfigMessage {
  /** `reply` answers our `get`; `push` is the console sending a config on its own. */
  readonly type: 'reply' | 'push';
  /** 0 success; 1001 disabled. A push without `result` is a success (as the C SDK reads it). */
  readonly result: number;
  /** The configuration object, when the hub has one. */
  readonly payload: JsonObject | undefined;
}

export function encodeConfigGet(): string {
  return '{"type":"get"}';
}

export function encodeConfigMessage(message: RemoteConfigMessage): string {
  return JSON.stringify({ type: message.type, result: message.result, ...(message.payload ? { payload: message.payload } : {}) });
}

export function decodeRemoteConfigMessage(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<RemoteConfigMessage> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m.type !== 'reply' && m.type !== 'push') return refused(`remote config: unknown "type" ${JSON.stringify(m.type)}`);
  const result = m.result === undefined ? 0 : looseInteger(m.result);
  if (result === undefined) return refused('remote config: "result" must be an integer');
  // The docs call `payload` a string; every example and the C SDK treat it as an object. Take both.
  let config: JsonObject | undefined;
  if (isObject(m.payload)) config = m.payload;
  else if (typeof m.payload === 'string' && m.payload.length > 0) {
    const inner = parseJsonObject(m.payload, options);
    if (!inner.ok) return refused(`remote config: "payload" ${inner.error.message}`);
    config = inner.value;
  } else if (m.payload !== undefined && m.payload !== null && m.payload !== '') {
    return refused('remote config: "payload" must be a JSON object');
  }
  return decoded({ type: m.type, result, payload: config });
}

/** Device → hub: a config request; the hub's side reads it with this (the emulator). */
export function decodeConfigRequest(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<{ readonly type: 'get' }> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  return parsed.value.type === 'get' ? decoded({ type: 'get' }) : refused(`config request: unknown "type" ${JSON.stringify(parsed.value.type)}`);
}

// ---------- log level ----------

/** The hub's log levels by their number on the wire: 0 none, 1 error, 2 warn, 3 info, 4 debug. */
export const HUB_LOG_LEVELS: readonly HubLogLevel[] = ['none', 'error', 'warn', 'info', 'debug'];

export interface LogLevelMessage {
  readonly level: HubLogLevel;
  readonly result: number;
  readonly clientToken: string | undefined;
}

export function encodeLogLevelGet(clientToken: string): string {
  return JSON.stringify({ type: 'get_log_level', clientToken });
}

export function encodeLogLevelMessage(message: LogLevelMessage & { readonly timestamp: number }): string {
  return JSON.stringify({
    type: 'get_log_level',
    ...(message.clientToken ? { clientToken: message.clientToken } : {}),
    log_level: HUB_LOG_LEVELS.indexOf(message.level),
    result: message.result,
    timestamp: message.timestamp,
  });
}

export function decodeLogLevelMessage(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<LogLevelMessage> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m.type !== undefined && m.type !== 'get_log_level') return refused(`log level: unknown "type" ${JSON.stringify(m.type)}`);
  const n = looseInteger(m.log_level);
  const level = n === undefined ? undefined : HUB_LOG_LEVELS[n];
  if (level === undefined) return refused('log level: "log_level" must be 0 (none) to 4 (debug)');
  const result = m.result === undefined ? 0 : looseInteger(m.result);
  if (result === undefined) return refused('log level: "result" must be an integer');
  return decoded({ level, result, clientToken: typeof m.clientToken === 'string' ? m.clientToken.slice(0, 128) : undefined });
}

/** Device → hub: a log level request, as the hub's side reads it (the emulator). */
export function decodeLogLevelRequest(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<{ readonly clientToken: string | undefined }> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  if (parsed.value.type !== 'get_log_level') return refused(`log request: unknown "type" ${JSON.stringify(parsed.value.type)}`);
  return decoded({ clientToken: typeof parsed.value.clientToken === 'string' ? parsed.value.clientToken.slice(0, 128) : undefined });
}

// ---------- log upload (HTTPS POST /device/reportlog, signed: see http-signature.ts) ----------

export const LOG_UPLOAD_PATH = '/device/reportlog';

const LINE_LEVEL: Record<Exclude<HubLogLevel, 'none'>, string> = { error: 'ERR', warn: 'WRN', info: 'INF', debug: 'DBG' };


function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `LEVEL|yyyy-MM-dd HH:mm:ss|TAG|text\n\f`, the Java SDK's line (UTC here: a gateway's zone is not the hub's). */
export function formatUploadLogLine(line: UploadLogLine): string {
  const d = new Date(line.time);
  const when = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  // `\n\f` ends a line on the wire, so neither may appear inside one.
  const text = line.text.replace(/[\n\f\r]+/g, ' ');
  return `${LINE_LEVEL[line.level]}|${when}|${line.tag.replace(/\|/g, '/')}|${text}\n\f`;
}

/** The body of one upload: the Java SDK sends the whole batch as one `Message` element. */
export function encodeLogUpload(device: { productId: string; deviceName: string }, lines: readonly UploadLogLine[]): string {
  return JSON.stringify({ DeviceName: device.deviceName, Message: [lines.map(formatUploadLogLine).join('')], ProductId: device.productId });
}

export interface LogUploadBody {
  readonly productId: string;
  readonly deviceName: string;
  readonly lines: readonly string[];
}

/** The hub's side: reads an upload body into its lines (the emulator). */
export function decodeLogUpload(body: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<LogUploadBody> {
  const parsed = parseJsonObject(body, { maxBytes: options.maxBytes ?? 1024 * 1024 });
  if (!parsed.ok) return parsed;
  const m: JsonObject = parsed.value;
  if (typeof m.ProductId !== 'string' || typeof m.DeviceName !== 'string') return refused('log upload: "ProductId" and "DeviceName" must be strings');
  if (!Array.isArray(m.Message) || !m.Message.every((x) => typeof x === 'string')) return refused('log upload: "Message" must be an array of strings');
  const lines = (m.Message).flatMap((chunk) => chunk.split('\n\f')).filter((l) => l.length > 0);
  return decoded({ productId: m.ProductId, deviceName: m.DeviceName, lines });
}
