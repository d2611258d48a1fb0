import type { Logger } from '@iotgw/domain';
import { decodeRecord, isSegmentHeader, SEGMENT_HEADER_BYTES } from './record-codec.js';
import { newKeyState, segmentNumber, type KeyState, type SegmentInfo } from './log-state.js';
import type { SegmentFiles } from './segment-files.port.js';

const READ_CHUNK = 1024 * 1024;

export interface RecoveredLog {
  readonly keys: Map<string, KeyState>;
  /** Sealed segments, oldest first. */
  readonly segments: SegmentInfo[];
  readonly nextSeq: number;
  readonly nextSegment: number;
  /** Bytes found past a torn record (a crash mid-append), ignored. */
  readonly tornBytes: number;
}

/**
 * Rebuilds the index from the segment files, oldest first. Data records join their key's queue;
 * an ack record removes what it covers (acks always follow the data they cover in the log). A
 * segment is trusted up to its first torn or corrupt record: a crash can only cut the tail of the
 * segment being written, so what follows is the garbage of an interrupted write.
 */
export async function recoverLog(files: SegmentFiles, logger: Logger): Promise<RecoveredLog> {
  const keys = new Map<string, KeyState>();
  const segments: SegmentInfo[] = [];
  const byNumber = new Map<number, SegmentInfo>();
  let maxSeq = 0;
  let tornBytes = 0;
  /** Newest data seq seen per key: a record copied twice is taken once. */
  const lastSeqOf = new Map<string, number>();
  const names = (await files.list())
    .map((name) => ({ name, number: segmentNumber(name) }))
    .filter((s): s is { name: string; number: number } => s.number !== undefined)
    .sort((a, b) => a.number - b.number);
  const keyOf = (key: string): KeyState => {
    let state = keys.get(key);
    if (!state) keys.set(key, (state = newKeyState(key)));
    return state;
  };
  for (const { name, number } of names) {
    const size = await files.size(name);
    const info: SegmentInfo = { number, name, bytes: size, live: 0, newest: 0 };
    const header = await files.read(name, 0, SEGMENT_HEADER_BYTES);
    if (!isSegmentHeader(header)) {
      // Not ours or cut before its header was written: nothing in it can be trusted.
      if (size > 0) logger.warn('offline store: a segment without a valid header is ignored', { segment: name, bytes: size });
      segments.push(info);
      byNumber.set(number, info);
      continue;
    }
    // `offset` is where `buffer[0]` sits in the file.
    let offset = SEGMENT_HEADER_BYTES;
    let buffer: Buffer = Buffer.alloc(0);
    for (let ended = false; !ended; ) {
      const chunk = await files.read(name, offset + buffer.length, READ_CHUNK);
      ended = chunk.length < READ_CHUNK;
      buffer = buffer.length > 0 ? Buffer.concat([buffer, chunk]) : chunk;
      let at = 0;
      for (;;) {
        const decoded = decodeRecord(buffer, at);
        if (decoded === 'partial') break;
        if (decoded === 'corrupt') {
          ended = true;
          break;
        }
        const { record } = decoded;
        maxSeq = Math.max(maxSeq, record.seq);
        const state = keyOf(record.key);
        if (record.type === 'data') {
          if (record.seq > state.ackedSeq && record.seq > (lastSeqOf.get(record.key) ?? 0)) {
            state.queue.push(record.seq, record.time, number, offset + at, decoded.size);
            lastSeqOf.set(record.key, record.seq);
            info.live++;
            info.newest = Math.max(info.newest, record.time);
          }
        } else {
          state.ackedSeq = Math.max(state.ackedSeq, record.seq);
          state.ackWritten = state.ackedSeq;
          for (let head = state.queue.headSeq(); head !== undefined && head <= record.seq; head = state.queue.headSeq()) {
            const ref = state.queue.shift();
            const owner = ref ? (ref.segment === number ? info : byNumber.get(ref.segment)) : undefined;
            if (owner) owner.live--;
          }
        }
        at += decoded.size;
      }
      offset += at;
      buffer = buffer.subarray(at);
    }
    const valid = offset;
    if (valid < size) {
      tornBytes += size - valid;
      logger.warn('offline store: a torn tail (interrupted write) is ignored', { segment: name, bytes: size - valid });
    }
    segments.push(info);
    byNumber.set(number, info);
  }
  return { keys, segments, nextSeq: maxSeq + 1, nextSegment: (names[names.length - 1]?.number ?? 0) + 1, tornBytes };
}

