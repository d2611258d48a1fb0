// Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so 0x00 can delimit frames,
// at a cost of at most 1 byte per 254. A receiver that joins mid-stream resyncs at the next 0x00.

/** Worst-case encoded length of `n` raw bytes (without the delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.ceil(n / 254) + 1;
}

export function cobsEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(input.length));
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      code++;
      if (code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one COBS block (no delimiter inside). Returns undefined when the block is malformed. */
export function cobsDecode(input: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(input.length);
  let o = 0;
  let i = 0;
  while (i < input.length) {
    const code = input[i]!;
    if (code === 0) return undefined;
    const end = i + code;
    if (end > input.length) return undefined;
    for (let j = i + 1; j < end; j++) {
      const b = input[j]!;
      if (b === 0) return undefined;
      out[o++] = b;
    }
    i = end;
    if (code !== 0xff && i < input.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}
