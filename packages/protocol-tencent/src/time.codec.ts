import { decoded, refused, type DecodeOptions, type DecodeResult } from './decode-result.js';
import { looseInteger, parseJsonObject } from './json-payload.js';

// The hub's time service on `$sys/operation[/result]/{pid}/{dev}` (docs/device-services.md § Time).

export interface TimeReply {
  /** Unix seconds. */
  readonly time: number;
  /** Unix milliseconds (absent in some replies: then `time * 1000` stands in, as the C SDK does). */
  readonly ntptime1: number | undefined;
  readonly ntptime2: number | undefined;
}

export function encodeTimeRequest(): string {
  return '{"type":"get","resource":["time"]}';
}

/** Only a `type: get` message with a numeric `time` is the time reply (Python SDK rule). */
export function decodeTimeReply(payload: string | Uint8Array, options: DecodeOptions = {}): DecodeResult<TimeReply> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m['type'] !== 'get') return refused(`unknown $sys message type ${JSON.stringify(m['type'])}`);
  const time = looseInteger(m['time']);
  if (time === undefined || time < 0) return refused('time reply without a numeric time');
  const ms = (v: unknown): number | undefined => {
    const n = looseInteger(v);
    return n !== undefined && n >= 0 ? n : undefined;
  };
  return decoded({ time, ntptime1: ms(m['ntptime1']), ntptime2: ms(m['ntptime2']) });
}

/**
 * Hub time (unix ms) at the moment the reply arrived: `(ntptime1 + ntptime2 + received - sent) / 2`
 * (hub docs "NTP 服务"; C SDK IOT_Sync_NTPTime), `time * 1000` standing in for missing ntptimes.
 */
export function hubTimeAtReceipt(reply: TimeReply, sentAtMs: number, receivedAtMs: number): number {
  const t1 = reply.ntptime1 ?? reply.time * 1000;
  const t2 = reply.ntptime2 ?? reply.time * 1000;
  return Math.round((t1 + t2 + receivedAtMs - sentAtMs) / 2);
}

/** The hub side: is this `$sys` request a time request? */
export function isTimeRequest(payload: string | Uint8Array): boolean {
  const parsed = parseJsonObject(payload, { maxBytes: 4096 });
  if (!parsed.ok) return false;
  const resource = parsed.value['resource'];
  return parsed.value['type'] === 'get' && Array.isArray(resource) && resource.includes('time');
}

export function encodeTimeReply(nowMs: number): string {
  return JSON.stringify({ type: 'get', time: Math.floor(nowMs / 1000), ntptime1: nowMs, ntptime2: nowMs });
}
