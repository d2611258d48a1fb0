// Table-driven CRCs. CRC-32C (Castagnoli) is the default: better error detection than CRC-32 on
// short frames and cheap in hardware on many MCUs; CRC-16/CCITT-FALSE is offered for tiny MCUs.

function makeTable32(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function makeTable16(poly: number): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ poly) & 0xffff : (c << 1) & 0xffff;
    table[n] = c;
  }
  return table;
}

const TABLE_32C = makeTable32(0x82f63b78);
const TABLE_16 = makeTable16(0x1021);

/** CRC-32C (reflected, init 0xFFFFFFFF, xorout 0xFFFFFFFF). check("123456789") = 0xE3069283. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = TABLE_32C[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout). check = 0x29B1. */
export function crc16ccitt(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffff;
  for (let i = start; i < end; i++) c = ((c << 8) & 0xffff) ^ TABLE_16[((c >>> 8) ^ bytes[i]!) & 0xff]!;
  return c;
}
