import { cobsEncode } from './cobs.js';
import { crc16ccitt, crc32c } from './crc.js';

/** Protocol version carried in every frame; a receiver drops frames of another version. */
export const PROTOCOL_VERSION = 1;
/** version(1) | address(1) | type(1) | seq(2, big-endian). */
export const HEADER_SIZE = 5;
/** Bit 7 of `type`: set on frames a subdevice sends, clear on frames the gateway sends. */
export const FROM_SUBDEVICE = 0x80;
/** Broadcast address (gateway to every subdevice on the bus). Subdevices use 1..254. */
export const BROADCAST_ADDRESS = 0xff;

export type CrcKind = 'crc32c' | 'crc16';

export interface FramingOptions {
  /** CRC over header+payload, appended big-endian. Default 'crc32c'. Both ends must agree. */
  readonly crc?: CrcKind;
  /** Largest raw frame (header + payload + CRC) accepted, in bytes. Default 1100. */
  readonly maxFrameSize?: number;
}

export const DEFAULT_MAX_FRAME_SIZE = 1100;

export interface Frame {
  readonly version: number;
  readonly address: number;
  /** Message type including the direction bit. */
  readonly type: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}

export function crcSize(kind: CrcKind): number {
  return kind === 'crc16' ? 2 : 4;
}

export function computeCrc(kind: CrcKind, bytes: Uint8Array, end: number): number {
  return kind === 'crc16' ? crc16ccitt(bytes, 0, end) : crc32c(bytes, 0, end);
}

/** Raw frame bytes (header + payload + CRC), before COBS. */
export function frameBytes(frame: Omit<Frame, 'version'> & { version?: number }, crc: CrcKind = 'crc32c'): Uint8Array {
  const size = HEADER_SIZE + frame.payload.length + crcSize(crc);
  const raw = new Uint8Array(size);
  raw[0] = frame.version ?? PROTOCOL_VERSION;
  raw[1] = frame.address & 0xff;
  raw[2] = frame.type & 0xff;
  raw[3] = (frame.seq >>> 8) & 0xff;
  raw[4] = frame.seq & 0xff;
  raw.set(frame.payload, HEADER_SIZE);
  const end = HEADER_SIZE + frame.payload.length;
  const c = computeCrc(crc, raw, end);
  if (crc === 'crc16') {
    raw[end] = c >>> 8;
    raw[end + 1] = c & 0xff;
  } else {
    raw[end] = c >>> 24;
    raw[end + 1] = (c >>> 16) & 0xff;
    raw[end + 2] = (c >>> 8) & 0xff;
    raw[end + 3] = c & 0xff;
  }
  return raw;
}

/**
 * Bytes on the wire for one frame: 0x00 | COBS(header + payload + CRC) | 0x00. The leading
 * delimiter ends any garbage a receiver may hold, so the frame survives a noisy line before it.
 */
export function encodeFrame(frame: Omit<Frame, 'version'> & { version?: number }, options: FramingOptions = {}): Uint8Array {
  const encoded = cobsEncode(frameBytes(frame, options.crc ?? 'crc32c'));
  const out = new Uint8Array(encoded.length + 2);
  out.set(encoded, 1);
  return out;
}
