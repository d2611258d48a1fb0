import { cobsDecode, cobsMaxEncodedLength } from './cobs.js';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, PROTOCOL_VERSION, computeCrc, crcSize, type CrcKind, type Frame, type FramingOptions } from './frame.js';

export interface DecoderStats {
  frames: number;
  crcErrors: number;
  /** CRC errors whose checksum is right for the other CRC kind: the two ends disagree on `crc`. */
  otherCrc: number;
  malformed: number;
  oversize: number;
  wrongVersion: number;
}

/**
 * Streaming frame decoder. Feed it any slicing of the byte stream; it returns the frames that
 * completed. It never throws on input: bad frames are counted and dropped, and it resyncs at the
 * next 0x00. Its buffer never exceeds the COBS size of `maxFrameSize` (an oversize frame is skipped
 * up to its delimiter).
 */
export class FrameDecoder {
  readonly stats: DecoderStats = { frames: 0, crcErrors: 0, otherCrc: 0, malformed: 0, oversize: 0, wrongVersion: 0 };
  readonly #crc: CrcKind;
  readonly #maxFrameSize: number;
  readonly #buffer: Uint8Array;
  #length = 0;
  #discarding = false;

  constructor(options: FramingOptions = {}) {
    this.#crc = options.crc ?? 'crc32c';
    this.#maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.#buffer = new Uint8Array(cobsMaxEncodedLength(this.#maxFrameSize));
  }

  /** Bytes held waiting for a delimiter; bounded by the buffer capacity. */
  get buffered(): number {
    return this.#length;
  }

  get capacity(): number {
    return this.#buffer.length;
  }

  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0) {
        if (!this.#discarding && this.#length > 0) {
          const frame = this.#parse(this.#buffer.subarray(0, this.#length));
          if (frame) frames.push(frame);
        }
        this.#length = 0;
        this.#discarding = false;
      } else if (!this.#discarding) {
        if (this.#length === this.#buffer.length) {
          this.stats.oversize++;
          this.#discarding = true;
          this.#length = 0;
        } else {
          this.#buffer[this.#length++] = b;
        }
      }
    }
    return frames;
  }

  /** Forget a partial frame (after the port reopened, say). */
  reset(): void {
    this.#length = 0;
    this.#discarding = false;
  }

  #parse(encoded: Uint8Array): Frame | undefined {
    const raw = cobsDecode(encoded);
    const trailer = crcSize(this.#crc);
    if (!raw || raw.length < HEADER_SIZE + trailer) {
      this.stats.malformed++;
      return undefined;
    }
    if (raw.length > this.#maxFrameSize) {
      this.stats.oversize++;
      return undefined;
    }
    const end = raw.length - trailer;
    let got = 0;
    for (let i = end; i < raw.length; i++) got = got * 256 + raw[i]!;
    if (computeCrc(this.#crc, raw, end) !== got) {
      this.stats.crcErrors++;
      // A frame that checks with the other kind was not corrupted: the sender uses the other CRC.
      const other: CrcKind = this.#crc === 'crc16' ? 'crc32c' : 'crc16';
      const otherEnd = raw.length - crcSize(other);
      let otherGot = 0;
      for (let i = otherEnd; i < raw.length; i++) otherGot = otherGot * 256 + raw[i]!;
      if (otherEnd >= HEADER_SIZE && computeCrc(other, raw, otherEnd) === otherGot) this.stats.otherCrc++;
      return undefined;
    }
    if (raw[0] !== PROTOCOL_VERSION) {
      this.stats.wrongVersion++;
      return undefined;
    }
    this.stats.frames++;
    return {
      version: raw[0],
      address: raw[1]!,
      type: raw[2]!,
      seq: (raw[3]! << 8) | raw[4]!,
      // Copy out of the reused buffer so callers may keep it.
      payload: raw.slice(HEADER_SIZE, end),
    };
  }
}
