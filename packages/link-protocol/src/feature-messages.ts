import { ByteReader, ByteWriter } from './bytes.js';

/**
 * Optional message groups (spec §4.1, §12): a side sends them only when the feature's bit is in
 * the set agreed in HELLO / HELLO_ACK. Revision-1 receivers know none of them.
 */
export const Feature = {
  /** CHANNEL_DATA both ways: data naming its topic channel (`event`, a product-defined one). */
  CHANNELS: 0x0001,
  /** REQUEST / RESPONSE: the gateway asks, the subdevice answers within a deadline (the hub's RRPC). */
  REQUESTS: 0x0002,
  /** SHADOW_DELTA down, SHADOW_REPORT up: the hub's device shadow. */
  SHADOW: 0x0004,
  /** TIME_REQUEST / TIME_RESPONSE: hub time for subdevices without a clock. */
  TIME: 0x0008,
} as const;

/** `REQUESTS` for its bit, for messages. */
export function featureName(bit: number): string {
  return Object.entries(Feature).find(([, b]) => b === bit)?.[0] ?? `0x${bit.toString(16)}`;
}

/** Every feature this implementation speaks. */
export const IMPLEMENTED_FEATURES = Feature.CHANNELS | Feature.REQUESTS | Feature.SHADOW | Feature.TIME;

export const FeatureMessageType = {
  CHANNEL_DATA: 0x12,
  REQUEST: 0x30,
  RESPONSE: 0x31,
  SHADOW_DELTA: 0x40,
  SHADOW_REPORT: 0x41,
  TIME_REQUEST: 0x50,
  TIME_RESPONSE: 0x51,
} as const;

/** RESPONSE status byte. */
export const ResponseStatus = {
  OK: 0,
  /** The application has no handler for requests (or not for this one). */
  UNSUPPORTED: 1,
  /** The handler failed; the payload is its message (UTF-8). */
  FAILED: 2,
} as const;

/** The channel plain DATA goes to (and comes from): the hub's `{pid}/{dev}/data`. */
export const DEFAULT_CHANNEL = 'data';

/**
 * A channel as CHANNEL_DATA carries it: the topic levels after `{pid}/{dev}/` (`event`,
 * `user/alarm`): 1..64 bytes of letters, digits and `_ - . : @`, levels split by single `/`.
 */
const CHANNEL_PATTERN = /^[A-Za-z0-9_\-.:@]+(\/[A-Za-z0-9_\-.:@]+)*$/;

export function isValidChannel(channel: string): boolean {
  return channel.length <= 64 && CHANNEL_PATTERN.test(channel);
}

export type FeatureMessage =
  | { readonly type: 'channel_data'; readonly channel: string; readonly payload: Uint8Array }
  | { readonly type: 'request'; readonly requestId: number; readonly timeoutMs: number; readonly payload: Uint8Array }
  | { readonly type: 'response'; readonly requestId: number; readonly status: number; readonly payload: Uint8Array }
  | { readonly type: 'shadow_delta'; readonly version: number; readonly document: Uint8Array }
  | { readonly type: 'shadow_report'; readonly document: Uint8Array }
  | { readonly type: 'time_request' }
  | { readonly type: 'time_response'; readonly synced: boolean; readonly unixMs: number };

export type FeatureMessageName = FeatureMessage['type'];

export const featureCodeOf: Record<FeatureMessageName, number> = {
  channel_data: FeatureMessageType.CHANNEL_DATA,
  request: FeatureMessageType.REQUEST,
  response: FeatureMessageType.RESPONSE,
  shadow_delta: FeatureMessageType.SHADOW_DELTA,
  shadow_report: FeatureMessageType.SHADOW_REPORT,
  time_request: FeatureMessageType.TIME_REQUEST,
  time_response: FeatureMessageType.TIME_RESPONSE,
};

/** The feature bit a message type belongs to, or undefined for a core message. */
export function featureOf(type: string): number | undefined {
  switch (type) {
    case 'channel_data':
      return Feature.CHANNELS;
    case 'request':
    case 'response':
      return Feature.REQUESTS;
    case 'shadow_delta':
    case 'shadow_report':
      return Feature.SHADOW;
    case 'time_request':
    case 'time_response':
      return Feature.TIME;
    default:
      return undefined;
  }
}

export function isFeatureMessage(m: { readonly type: string }): m is FeatureMessage {
  return featureOf(m.type) !== undefined;
}

export function encodeFeatureMessage(m: FeatureMessage, w: ByteWriter): Uint8Array {
  switch (m.type) {
    case 'channel_data':
      if (!isValidChannel(m.channel)) throw new RangeError(`channel ${JSON.stringify(m.channel)} is not valid: topic levels of letters, digits and _ - . : @, at most 64 bytes`);
      return w.str8(m.channel).bytes(m.payload).finish();
    case 'request':
      return w.u16(m.requestId).u16(m.timeoutMs).bytes(m.payload).finish();
    case 'response':
      return w.u16(m.requestId).u8(m.status).bytes(m.payload).finish();
    case 'shadow_delta':
      return w.u32(m.version).bytes(m.document).finish();
    case 'shadow_report':
      return m.document;
    case 'time_request':
      return new Uint8Array(0);
    case 'time_response': {
      if (!Number.isSafeInteger(m.unixMs) || m.unixMs < 0) throw new RangeError('time_response unixMs must be a non-negative safe integer');
      return w.u8(m.synced ? 1 : 0).u32(Math.floor(m.unixMs / 0x1_0000_0000)).u32(m.unixMs % 0x1_0000_0000).finish();
    }
  }
}

/** Undefined when the code is not a feature message; throws Truncated when malformed. */
export function decodeFeatureBody(code: number, r: ByteReader): FeatureMessage | 'malformed' | undefined {
  switch (code) {
    case FeatureMessageType.CHANNEL_DATA: {
      const channel = r.str8();
      return isValidChannel(channel) ? { type: 'channel_data', channel, payload: r.rest() } : 'malformed';
    }
    case FeatureMessageType.REQUEST:
      return { type: 'request', requestId: r.u16(), timeoutMs: r.u16(), payload: r.rest() };
    case FeatureMessageType.RESPONSE: {
      const requestId = r.u16();
      const status = r.u8();
      return status > ResponseStatus.FAILED ? 'malformed' : { type: 'response', requestId, status, payload: r.rest() };
    }
    case FeatureMessageType.SHADOW_DELTA:
      return { type: 'shadow_delta', version: r.u32(), document: r.rest() };
    case FeatureMessageType.SHADOW_REPORT:
      return { type: 'shadow_report', document: r.rest() };
    case FeatureMessageType.TIME_REQUEST:
      return { type: 'time_request' };
    case FeatureMessageType.TIME_RESPONSE: {
      const synced = r.u8();
      const hi = r.u32();
      const lo = r.u32();
      if (synced > 1 || hi > 0x1f_ffff) return 'malformed';
      return { type: 'time_response', synced: synced === 1, unixMs: hi * 0x1_0000_0000 + lo };
    }
    default:
      return undefined;
  }
}

/** Feature messages whose last field takes the rest of the payload (no trailing-byte check). */
export const OPEN_ENDED_FEATURE_MESSAGES = new Set<string>(['channel_data', 'request', 'response', 'shadow_delta', 'shadow_report']);
