import { RecordQueue } from './record-queue.js';

/** One key's (one subdevice's) share of the log. */
export interface KeyState {
  readonly key: string;
  /** UTF-8 length of `key` (record sizes are computed per append without encoding). */
  readonly keyBytes: number;
  /** Held records, oldest first: not acknowledged, not dropped. */
  readonly queue: RecordQueue;
  /** How many records at the head are handed to the sender (in flight or being read). */
  sent: number;
  /** Highest acknowledged sequence number. */
  ackedSeq: number;
  /** `ackedSeq` as last written to the log. */
  ackWritten: number;
  /** Whether it is in the store's set of keys with unsent readings (kept in step by `touch`). */
  listed: boolean;
}

/** One segment file: its size and how many of its data records are still held. */
export interface SegmentInfo {
  readonly number: number;
  readonly name: string;
  bytes: number;
  live: number;
  /** Time of its newest data record (for the age bound). */
  newest: number;
}

export function newKeyState(key: string): KeyState {
  return { key, keyBytes: Buffer.byteLength(key), queue: new RecordQueue(), sent: 0, ackedSeq: 0, ackWritten: 0, listed: false };
}

const SEGMENT_NAME = /^(\d{12})\.seg$/;

export function segmentName(number: number): string {
  return `${String(number).padStart(12, '0')}.seg`;
}

export function segmentNumber(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}
