/**
 * Watches the bytes the hub sends and spots a packet larger than `maxBytes` from its fixed header
 * alone, before mqtt.js buffers its body. mqtt.js enforces a maximum packet size only for MQTT 5,
 * and only after it has read the whole packet: a hostile or broken hub could otherwise make the
 * gateway hold a 100 MB message in memory. O(1) work per packet: only headers are looked at.
 */
export class PacketSizeGuard {
  /** Body bytes of the current packet still to skip. */
  #remaining = 0;
  /** Header bytes of the next packet collected so far (a header may straddle two chunks). */
  readonly #header: number[] = [];

  constructor(readonly maxBytes: number) {}

  /** Feeds received bytes; returns the size of the first packet over the limit, or undefined. */
  feed(chunk: Uint8Array): number | undefined {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining > 0) {
        const skip = Math.min(this.#remaining, chunk.length - at);
        this.#remaining -= skip;
        at += skip;
        continue;
      }
      this.#header.push(chunk[at++]!);
      const parsed = parseFixedHeader(this.#header);
      if (parsed === 'more') continue;
      this.#header.length = 0;
      if (parsed === 'malformed') return Infinity;
      const total = parsed.headerBytes + parsed.remainingLength;
      if (total > this.maxBytes) return total;
      this.#remaining = parsed.remainingLength;
    }
    return undefined;
  }
}

/** Type byte + remaining length (1..4 bytes, 7 bits each, high bit = more). */
function parseFixedHeader(bytes: readonly number[]): { headerBytes: number; remainingLength: number } | 'more' | 'malformed' {
  if (bytes.length < 2) return 'more';
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) return { headerBytes: i + 1, remainingLength: value };
    if (i === 4) return 'malformed';
  }
  return 'more';
}
