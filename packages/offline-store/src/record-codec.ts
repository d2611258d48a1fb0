import { crc32 } from 'node:zlib';

/**
 * The bytes of the log. A segment starts with an 8-byte magic and a version; then records, each
 *   u32 bodyLength | u32 crc32(body) | body
 * where body is
 *   data: u8 1 | f64 seq | f64 time | u16 keyLength | key | u16 topicLength | topic | payload
 *   ack:  u8 2 | f64 seq | u16 keyLength | key            (everything of `key` up to `seq` is acknowledged)
 * Little endian. A record whose length runs past the end or whose CRC does not match is where a
 * crash cut the log: everything before it is intact, nothing after it in that segment is trusted.
 */
export const SEGMENT_MAGIC = Buffer.from('IOTGWLOG', 'latin1');
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length + 4;
export const RECORD_HEADER_BYTES = 8;
/** Far above any MQTT message we send; a length beyond it is garbage, not a record. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const DATA = 1;
const ACK = 2;

export interface DataRecord {
  readonly type: 'data';
  readonly seq: number;
  readonly time: number;
  readonly key: string;
  readonly topic: string;
  readonly payload: Uint8Array;
}

export interface AckRecord {
  readonly type: 'ack';
  readonly seq: number;
  readonly key: string;
}

export type LogRecord = DataRecord | AckRecord;

export function segmentHeader(): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt32LE(SEGMENT_VERSION, SEGMENT_MAGIC.length);
  return header;
}

export function isSegmentHeader(bytes: Uint8Array): boolean {
  if (bytes.length < SEGMENT_HEADER_BYTES) return false;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_BYTES);
  return b.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC) && b.readUInt32LE(SEGMENT_MAGIC.length) === SEGMENT_VERSION;
}

/** Bytes `encodeData` will produce, without encoding (`keyBytes`/`topicBytes`: UTF-8 lengths). */
export function dataRecordSize(keyBytes: number, topicBytes: number, payloadBytes: number): number {
  return RECORD_HEADER_BYTES + 1 + 8 + 8 + 2 + keyBytes + 2 + topicBytes + payloadBytes;
}

export function encodeData(seq: number, time: number, key: string, topic: string, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(dataRecordSize(Buffer.byteLength(key), Buffer.byteLength(topic), payload.byteLength));
  encodeDataInto(out, 0, seq, time, key, topic, payload);
  return out;
}

/** Encodes a data record into `out` at `at` (sized with `dataRecordSize`); returns where it ends. */
export function encodeDataInto(out: Buffer, at: number, seq: number, time: number, key: string, topic: string, payload: Uint8Array): number {
  const start = at;
  at += RECORD_HEADER_BYTES;
  out[at++] = DATA;
  at = out.writeDoubleLE(seq, at);
  at = out.writeDoubleLE(time, at);
  const keyLength = out.write(key, at + 2, 'utf8');
  at = out.writeUInt16LE(keyLength, at) + keyLength;
  const topicLength = out.write(topic, at + 2, 'utf8');
  at = out.writeUInt16LE(topicLength, at) + topicLength;
  out.set(payload, at);
  at += payload.byteLength;
  out.writeUInt32LE(at - start - RECORD_HEADER_BYTES, start);
  out.writeUInt32LE(crc32(out.subarray(start + RECORD_HEADER_BYTES, at)), start + 4);
  return at;
}

export function encodeAck(seq: number, key: string): Buffer {
  const keyLength = Buffer.byteLength(key);
  const bodyLength = 1 + 8 + 2 + keyLength;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyLength);
  out.writeUInt32LE(bodyLength, 0);
  out[RECORD_HEADER_BYTES] = ACK;
  out.writeDoubleLE(seq, RECORD_HEADER_BYTES + 1);
  out.writeUInt16LE(keyLength, RECORD_HEADER_BYTES + 9);
  out.write(key, RECORD_HEADER_BYTES + 11, 'utf8');
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER_BYTES)), 4);
  return out;
}

/**
 * The record starting at `at`: `{ record, size }`, `'partial'` when the bytes end inside it (read
 * more), or `'corrupt'` when its length or CRC is wrong (a torn tail).
 */
export function decodeRecord(bytes: Buffer, at: number): { readonly record: LogRecord; readonly size: number } | 'partial' | 'corrupt' {
  if (bytes.length - at < RECORD_HEADER_BYTES) return 'partial';
  const bodyLength = bytes.readUInt32LE(at);
  if (bodyLength < 11 || bodyLength > MAX_BODY_BYTES) return 'corrupt';
  const size = RECORD_HEADER_BYTES + bodyLength;
  if (bytes.length - at < size) return 'partial';
  const body = bytes.subarray(at + RECORD_HEADER_BYTES, at + size);
  if (crc32(body) !== bytes.readUInt32LE(at + 4)) return 'corrupt';
  const record = decodeBody(body);
  return record ? { record, size } : 'corrupt';
}

function decodeBody(body: Buffer): LogRecord | undefined {
  const type = body[0];
  const seq = body.readDoubleLE(1);
  if (type === ACK) {
    const keyLength = body.readUInt16LE(9);
    if (11 + keyLength !== body.length) return undefined;
    return { type: 'ack', seq, key: body.toString('utf8', 11, 11 + keyLength) };
  }
  if (type !== DATA || body.length < 21) return undefined;
  const time = body.readDoubleLE(9);
  const keyLength = body.readUInt16LE(17);
  let at = 19 + keyLength;
  if (at + 2 > body.length) return undefined;
  const key = body.toString('utf8', 19, at);
  const topicLength = body.readUInt16LE(at);
  at += 2;
  if (at + topicLength > body.length) return undefined;
  const topic = body.toString('utf8', at, at + topicLength);
  at += topicLength;
  return { type: 'data', seq, time, key, topic, payload: new Uint8Array(body.buffer, body.byteOffset + at, body.length - at) };
}
