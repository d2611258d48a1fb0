// Big-endian writer/reader for message payloads. Strings are UTF-8 with a 1-byte length prefix.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  readonly #parts: number[] = [];
  #blobs: { at: number; bytes: Uint8Array }[] = [];

  u8(v: number): this {
    this.#parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  i16(v: number): this {
    return this.u16(v & 0xffff);
  }
  u32(v: number): this {
    return this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
  }
  str8(s: string): this {
    const bytes = utf8Encoder.encode(s);
    if (bytes.length > 255) throw new RangeError(`string of ${bytes.length} UTF-8 bytes does not fit a 1-byte length`);
    this.u8(bytes.length);
    return this.bytes(bytes);
  }
  bytes(b: Uint8Array): this {
    this.#blobs.push({ at: this.#parts.length, bytes: b });
    // Reserve nothing in #parts; blobs are spliced in at finish.
    this.#parts.push(-1);
    return this;
  }
  finish(): Uint8Array {
    let size = 0;
    for (const p of this.#parts) if (p >= 0) size++;
    for (const b of this.#blobs) size += b.bytes.length;
    const out = new Uint8Array(size);
    let o = 0;
    let blob = 0;
    for (const p of this.#parts) {
      if (p >= 0) out[o++] = p;
      else {
        const b = this.#blobs[blob++]!.bytes;
        out.set(b, o);
        o += b.length;
      }
    }
    this.#blobs = [];
    return out;
  }
}

/** Thrown inside a decode when the payload is too short or not valid; callers catch it. */
export class Truncated extends Error {}

export class ByteReader {
  #at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.#at;
  }
  u8(): number {
    if (this.#at >= this.bytes.length) throw new Truncated('truncated');
    return this.bytes[this.#at++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  i16(): number {
    const v = this.u16();
    return v >= 0x8000 ? v - 0x10000 : v;
  }
  u32(): number {
    return ((this.u8() << 24) >>> 0) + ((this.u8() << 16) | (this.u8() << 8) | this.u8());
  }
  take(n: number): Uint8Array {
    if (this.remaining < n) throw new Truncated('truncated');
    const out = this.bytes.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  rest(): Uint8Array {
    return this.take(this.remaining);
  }
  str8(): string {
    const n = this.u8();
    try {
      return utf8Decoder.decode(this.take(n));
    } catch {
      throw new Truncated('invalid utf-8');
    }
  }
  end(): void {
    if (this.remaining !== 0) throw new Truncated('trailing bytes');
  }
}

/** At most `max` UTF-8 bytes, cut on a character boundary (str8 carries 255 bytes). */
export function truncateUtf8(text: string, max: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (encoder.encode(out + ch).length > max) break;
    out += ch;
  }
  return out;
}
