import { ByteReader, ByteWriter, Truncated } from './bytes.js';
import { decodeFeatureBody, encodeFeatureMessage, featureCodeOf, isFeatureMessage, OPEN_ENDED_FEATURE_MESSAGES, type FeatureMessage } from './feature-messages.js';

/** Message type codes (bits 0..6 of the frame's type byte). */
export const MessageType = {
  HELLO: 0x01,
  HELLO_ACK: 0x02,
  KEEPALIVE: 0x03,
  KEEPALIVE_ACK: 0x04,
  /** Revision 2: the gateway will not serve this subdevice (reason, retry delay, text to show). */
  HELLO_REFUSED: 0x05,
  DATA: 0x10,
  /** Acknowledges the DATA frame whose seq it carries in its own header. */
  DATA_ACK: 0x11,
  FW_OFFER: 0x20,
  FW_ACCEPT: 0x21,
  FW_CHUNK: 0x22,
  FW_ACK: 0x23,
  FW_COMMIT: 0x24,
  FW_APPLYING: 0x25,
  FW_RESULT: 0x26,
  /** Revision 2: the gateway has the verdict; the subdevice may forget it (and reboot). */
  FW_RESULT_ACK: 0x27,
  /** Revision 2: abandon the transfer in progress (a newer update superseded it, or it was cancelled). */
  FW_CANCEL: 0x28,
  BYE: 0x7f,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** HELLO capability bits. */
export const Capability = {
  FIRMWARE: 0x01,
  RELIABLE_DATA: 0x02,
  /** Keeps FW_CHUNKs that arrive after a gap, so the gateway resends only the missing one. */
  REORDER_BUFFER: 0x04,
} as const;

/**
 * The link-protocol revision this code speaks. Revision 1 is the first published spec (HELLO and
 * HELLO_ACK without the revision extension); a peer of revision 1 is spoken to exactly as then.
 */
export const LINK_PROTOCOL_REVISION = 2;

/** FW_RESULT codes a subdevice may send (negative = the hub's OTA codes; -100 and below: the link's). */
export const FirmwareResultCode = {
  MD5_MISMATCH: -4,
  APPLY_FAILED: -5,
  /** Subdevice refuses the offer (too big, busy, same version). */
  REFUSED: -100,
  /** Revision 2: FW_COMMIT or FW_CANCEL without an offer accepted in this session. Never a verdict on an offer. */
  NO_TRANSFER: -101,
  /** Revision 2: the answer to FW_CANCEL: the transfer was abandoned. Never a verdict on an offer. */
  CANCELLED: -102,
} as const;

/** HELLO_REFUSED reasons (revision 2). */
export const RefusalReason = {
  /** This gateway (or this link of it) does not serve the subdevice: declare it in the gateway's config. */
  NOT_DECLARED: 1,
  /** The subdevice is declared at another bus address: fix the address of one of them. */
  WRONG_ADDRESS: 2,
  /** productId or deviceName is not valid for the hub. */
  BAD_IDENTITY: 3,
  /** Reserved: the gateway no longer speaks the subdevice's revision. */
  UNSUPPORTED_REVISION: 4,
} as const;

/** FW_CANCEL reasons (revision 2); for the subdevice's log or display only. */
export const CancelReason = {
  UNSPECIFIED: 0,
  /** A newer update for this subdevice replaced the one in progress. */
  SUPERSEDED: 1,
  /** The gateway is shutting down. */
  SHUTDOWN: 2,
} as const;

/** BYE reasons. */
export const ByeReason = {
  SHUTDOWN: 0,
  REBOOT: 1,
  /** Gateway to a subdevice it does not know (e.g. after a gateway restart): say HELLO again. */
  UNKNOWN_SESSION: 2,
} as const;

export type Message =
  | {
      readonly type: 'hello';
      readonly productId: string;
      readonly deviceName: string;
      readonly firmwareVersion: string;
      readonly maxFrameSize: number;
      readonly capabilities: number;
      /** Protocol revision the subdevice implements: 1 when HELLO has no extension. */
      readonly revision: number;
      /** Optional message groups it implements (revision 2 extension): `Feature` bits. */
      readonly features: number;
    }
  | {
      readonly type: 'hello_ack';
      readonly keepaliveIntervalMs: number;
      readonly maxFrameSize: number;
      /** The agreed revision: min(subdevice's, gateway's). 1 = no extension on the wire. */
      readonly revision: number;
      /** Agreed features: those both sides announced. */
      readonly features: number;
    }
  | { readonly type: 'hello_refused'; readonly reason: number; readonly retryAfterMs: number; readonly message: string }
  | { readonly type: 'keepalive' }
  | { readonly type: 'keepalive_ack' }
  | { readonly type: 'data'; readonly payload: Uint8Array }
  | { readonly type: 'data_ack' }
  | { readonly type: 'fw_offer'; readonly version: string; readonly size: number; readonly md5: Uint8Array; readonly chunkSize: number }
  | { readonly type: 'fw_accept'; readonly resumeOffset: number }
  | { readonly type: 'fw_chunk'; readonly offset: number; readonly bytes: Uint8Array }
  /**
   * `sack` (optional, omitted when 0): bit i set = the subdevice also holds the chunk starting at
   * offset + (i + 1) * chunkSize (REORDER_BUFFER peers), so the gateway resends only the holes.
   */
  | { readonly type: 'fw_ack'; readonly offset: number; readonly sack?: number }
  | { readonly type: 'fw_commit' }
  | { readonly type: 'fw_applying'; readonly percent: number }
  | { readonly type: 'fw_result'; readonly ok: true; readonly version: string }
  | { readonly type: 'fw_result'; readonly ok: false; readonly code: number; readonly message: string }
  | { readonly type: 'fw_result_ack' }
  | { readonly type: 'fw_cancel'; readonly reason: number }
  | { readonly type: 'bye'; readonly reason: number }
  /** Messages of the optional features (§4.1, §12); sent only when their feature was agreed. */
  | FeatureMessage;

export type MessageName = Message['type'];

const codeOf: Record<MessageName, number> = {
  hello: MessageType.HELLO,
  hello_ack: MessageType.HELLO_ACK,
  hello_refused: MessageType.HELLO_REFUSED,
  keepalive: MessageType.KEEPALIVE,
  keepalive_ack: MessageType.KEEPALIVE_ACK,
  data: MessageType.DATA,
  data_ack: MessageType.DATA_ACK,
  fw_offer: MessageType.FW_OFFER,
  fw_accept: MessageType.FW_ACCEPT,
  fw_chunk: MessageType.FW_CHUNK,
  fw_ack: MessageType.FW_ACK,
  fw_commit: MessageType.FW_COMMIT,
  fw_applying: MessageType.FW_APPLYING,
  fw_result: MessageType.FW_RESULT,
  fw_result_ack: MessageType.FW_RESULT_ACK,
  fw_cancel: MessageType.FW_CANCEL,
  bye: MessageType.BYE,
  ...featureCodeOf,
};

export function messageTypeCode(name: MessageName): number {
  return codeOf[name];
}

/** Payload bytes of a message (what goes between the frame header and the CRC). */
export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter();
  if (isFeatureMessage(m)) return encodeFeatureMessage(m, w);
  switch (m.type) {
    case 'hello':
      w.str8(m.productId).str8(m.deviceName).str8(m.firmwareVersion).u16(m.maxFrameSize).u8(m.capabilities);
      // Revision 1 peers know no extension: a revision-1 HELLO ends here.
      return m.revision >= 2 ? w.u8(m.revision).u16(m.features).finish() : w.finish();
    case 'hello_ack':
      w.u32(m.keepaliveIntervalMs).u16(m.maxFrameSize);
      return m.revision >= 2 ? w.u8(m.revision).u16(m.features).finish() : w.finish();
    case 'hello_refused':
      return w.u8(m.reason).u32(m.retryAfterMs).str8(m.message).finish();
    case 'keepalive':
    case 'keepalive_ack':
    case 'data_ack':
    case 'fw_commit':
    case 'fw_result_ack':
      return new Uint8Array(0);
    case 'fw_cancel':
      return w.u8(m.reason).finish();
    case 'data':
      return m.payload;
    case 'fw_offer':
      if (m.md5.length !== 16) throw new RangeError('fw_offer md5 must be 16 bytes');
      return w.str8(m.version).u32(m.size).bytes(m.md5).u16(m.chunkSize).finish();
    case 'fw_accept':
      return w.u32(m.resumeOffset).finish();
    case 'fw_chunk':
      return w.u32(m.offset).bytes(m.bytes).finish();
    case 'fw_ack':
      return m.sack ? w.u32(m.offset).u32(m.sack).finish() : w.u32(m.offset).finish();
    case 'fw_applying':
      return w.u8(m.percent).finish();
    case 'fw_result':
      return m.ok ? w.u8(1).i16(0).str8(m.version).finish() : w.u8(0).i16(m.code).str8(m.message).finish();
    case 'bye':
      return w.u8(m.reason).finish();
  }
}

/** Message types revision 1 defined; a revision-1 receiver knows no other. */
const REVISION_1_TYPES = new Set<number>([0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x7f]);

export interface DecodeOptions {
  /**
   * The revision of the receiver (default the latest). Revision 1 decodes exactly as the first
   * spec did: no revision-2 types, no trailing bytes after HELLO or HELLO_ACK.
   */
  readonly revision?: number;
}

/** Parses a payload for a type code (direction bit ignored). Undefined when unknown or malformed. */
export function decodeMessage(typeCode: number, payload: Uint8Array, options: DecodeOptions = {}): Message | undefined {
  const code = typeCode & 0x7f;
  const legacy = (options.revision ?? LINK_PROTOCOL_REVISION) < 2;
  if (legacy && !REVISION_1_TYPES.has(code)) return undefined;
  const r = new ByteReader(payload);
  try {
    const m = decodeBody(code, r, legacy);
    // HELLO and HELLO_ACK may grow in later revisions: their readers skip what they do not know.
    const extensible = !legacy && (m?.type === 'hello' || m?.type === 'hello_ack');
    if (m && m.type !== 'data' && m.type !== 'fw_chunk' && !OPEN_ENDED_FEATURE_MESSAGES.has(m.type) && !extensible) r.end();
    return m;
  } catch (error) {
    if (error instanceof Truncated) return undefined;
    throw error;
  }
}

function decodeBody(code: number, r: ByteReader, legacy: boolean): Message | undefined {
  switch (code) {
    case MessageType.HELLO: {
      const base = { productId: r.str8(), deviceName: r.str8(), firmwareVersion: r.str8(), maxFrameSize: r.u16(), capabilities: r.u8() };
      const ext = legacy ? { revision: 1, features: 0 } : revisionExtension(r);
      return ext && { type: 'hello', ...base, ...ext };
    }
    case MessageType.HELLO_ACK: {
      const base = { keepaliveIntervalMs: r.u32(), maxFrameSize: r.u16() };
      const ext = legacy ? { revision: 1, features: 0 } : revisionExtension(r);
      return ext && { type: 'hello_ack', ...base, ...ext };
    }
    case MessageType.HELLO_REFUSED:
      return { type: 'hello_refused', reason: r.u8(), retryAfterMs: r.u32(), message: r.str8() };
    case MessageType.KEEPALIVE:
      return { type: 'keepalive' };
    case MessageType.KEEPALIVE_ACK:
      return { type: 'keepalive_ack' };
    case MessageType.DATA:
      return { type: 'data', payload: r.rest() };
    case MessageType.DATA_ACK:
      return { type: 'data_ack' };
    case MessageType.FW_OFFER:
      return { type: 'fw_offer', version: r.str8(), size: r.u32(), md5: r.take(16), chunkSize: r.u16() };
    case MessageType.FW_ACCEPT:
      return { type: 'fw_accept', resumeOffset: r.u32() };
    case MessageType.FW_CHUNK:
      return { type: 'fw_chunk', offset: r.u32(), bytes: r.rest() };
    case MessageType.FW_ACK: {
      const offset = r.u32();
      if (r.remaining === 0) return { type: 'fw_ack', offset };
      const sack = r.u32();
      return sack === 0 ? { type: 'fw_ack', offset } : { type: 'fw_ack', offset, sack };
    }
    case MessageType.FW_COMMIT:
      return { type: 'fw_commit' };
    case MessageType.FW_APPLYING: {
      const percent = r.u8();
      return percent > 100 ? undefined : { type: 'fw_applying', percent };
    }
    case MessageType.FW_RESULT: {
      const ok = r.u8();
      const resultCode = r.i16();
      const text = r.str8();
      if (ok === 1) return { type: 'fw_result', ok: true, version: text };
      if (ok === 0) return { type: 'fw_result', ok: false, code: resultCode, message: text };
      return undefined;
    }
    case MessageType.FW_RESULT_ACK:
      return { type: 'fw_result_ack' };
    case MessageType.FW_CANCEL:
      return { type: 'fw_cancel', reason: r.u8() };
    case MessageType.BYE:
      return { type: 'bye', reason: r.u8() };
    default: {
      const feature = decodeFeatureBody(code, r);
      return feature === 'malformed' ? undefined : feature;
    }
  }
}

/**
 * The revision-2 tail of HELLO and HELLO_ACK: u8 revision (≥ 2), u16 features. Absent: revision 1.
 * Undefined (malformed) when a revision byte below 2 is present or the features are cut short.
 */
function revisionExtension(r: ByteReader): { revision: number; features: number } | undefined {
  if (r.remaining === 0) return { revision: 1, features: 0 };
  const revision = r.u8();
  if (revision < 2) return undefined;
  return { revision, features: r.u16() };
}
