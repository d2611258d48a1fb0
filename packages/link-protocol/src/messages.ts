import { ByteReader, ByteWriter, Truncated } from './bytes.js';

/** Message type codes (bits 0..6 of the frame's type byte). */
export const MessageType = {
  HELLO: 0x01,
  HELLO_ACK: 0x02,
  KEEPALIVE: 0x03,
  KEEPALIVE_ACK: 0x04,
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

/** FW_RESULT / FW_ACCEPT refusal codes a subdevice may send (negative = the hub's OTA codes). */
export const FirmwareResultCode = {
  MD5_MISMATCH: -4,
  APPLY_FAILED: -5,
  /** Subdevice refuses the offer (too big, busy, same version). */
  REFUSED: -100,
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
    }
  | { readonly type: 'hello_ack'; readonly keepaliveIntervalMs: number; readonly maxFrameSize: number }
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
  | { readonly type: 'bye'; readonly reason: number };

export type MessageName = Message['type'];

const codeOf: Record<MessageName, number> = {
  hello: MessageType.HELLO,
  hello_ack: MessageType.HELLO_ACK,
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
  bye: MessageType.BYE,
};

export function messageTypeCode(name: MessageName): number {
  return codeOf[name];
}

/** Payload bytes of a message (what goes between the frame header and the CRC). */
export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter();
  switch (m.type) {
    case 'hello':
      return w.str8(m.productId).str8(m.deviceName).str8(m.firmwareVersion).u16(m.maxFrameSize).u8(m.capabilities).finish();
    case 'hello_ack':
      return w.u32(m.keepaliveIntervalMs).u16(m.maxFrameSize).finish();
    case 'keepalive':
    case 'keepalive_ack':
    case 'data_ack':
    case 'fw_commit':
      return new Uint8Array(0);
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

/** Parses a payload for a type code (direction bit ignored). Undefined when unknown or malformed. */
export function decodeMessage(typeCode: number, payload: Uint8Array): Message | undefined {
  const r = new ByteReader(payload);
  try {
    const m = decodeBody(typeCode & 0x7f, r);
    if (m && m.type !== 'data' && m.type !== 'fw_chunk') r.end();
    return m;
  } catch (error) {
    if (error instanceof Truncated) return undefined;
    throw error;
  }
}

function decodeBody(code: number, r: ByteReader): Message | undefined {
  switch (code) {
    case MessageType.HELLO:
      return { type: 'hello', productId: r.str8(), deviceName: r.str8(), firmwareVersion: r.str8(), maxFrameSize: r.u16(), capabilities: r.u8() };
    case MessageType.HELLO_ACK:
      return { type: 'hello_ack', keepaliveIntervalMs: r.u32(), maxFrameSize: r.u16() };
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
    case MessageType.BYE:
      return { type: 'bye', reason: r.u8() };
    default:
      return undefined;
  }
}
