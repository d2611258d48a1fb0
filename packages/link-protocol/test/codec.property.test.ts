// Property-based tests (fast-check) of the link codec, the part MCU firmware mirrors: COBS, CRC,
// framing and message payloads. Arbitrary bytes never make a decoder throw (bad input is dropped
// and counted, or decodes to undefined, as the README promises); every valid frame, message and
// packet survives encode → any slicing of the byte stream → decode; the CRC catches every error
// burst it is specified to catch. A failing run prints its seed and the shrunk counterexample.
import test from 'ava';
import fc from 'fast-check';
import {
  FrameDecoder,
  HEADER_SIZE,
  cobsDecode,
  cobsEncode,
  cobsMaxEncodedLength,
  crcSize,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  encodePacket,
  frameBytes,
  messageTypeCode,
  packetOf,
  type CrcKind,
  type Frame,
  type Message,
  type Packet,
} from '../src/index.js';

/** Runs per property; `IOTGW_FUZZ_RUNS=100000 npx ava dist/test/codec.property.test.js` digs deeper. */
const RUNS = Number(process.env['IOTGW_FUZZ_RUNS'] ?? 1_000);
const MAX_FRAME = 300;

const crcKind = fc.constantFrom<CrcKind>('crc32c', 'crc16');
/** Bytes with long non-zero runs and zeros, the inputs COBS has edge cases for (254-byte blocks). */
const cobsInput = fc.oneof(
  fc.uint8Array({ maxLength: 1200 }),
  fc.uint8Array({ min: 1, maxLength: 1200 }),
  fc.tuple(fc.integer({ min: 250, max: 520 }), fc.integer({ min: 0, max: 3 })).map(([n, zeros]) => {
    const bytes = new Uint8Array(n + zeros).fill(0x41);
    for (let i = 0; i < zeros; i++) bytes[n + i] = 0;
    return bytes;
  }),
);

const frame = (crc: CrcKind): fc.Arbitrary<Omit<Frame, 'version'>> =>
  fc.record({
    address: fc.integer({ min: 0, max: 255 }),
    type: fc.integer({ min: 0, max: 255 }),
    seq: fc.integer({ min: 0, max: 0xffff }),
    payload: fc.uint8Array({ maxLength: MAX_FRAME - HEADER_SIZE - crcSize(crc) }),
  });

/** Splits bytes at arbitrary points, as a serial port or BLE notifications deliver them. */
function sliced(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------- COBS ----------

test('COBS: any bytes round-trip, the encoding holds no 0x00 and stays within its worst case', (t) => {
  fc.assert(
    fc.property(cobsInput, (input) => {
      const encoded = cobsEncode(input);
      t.false(encoded.includes(0));
      t.true(encoded.length <= cobsMaxEncodedLength(input.length));
      t.deepEqual(cobsDecode(encoded), input);
    }),
    { numRuns: RUNS },
  );
});

test('COBS: decoding arbitrary bytes gives bytes or undefined (malformed), never a throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (input) => {
      const out = cobsDecode(input);
      return out === undefined || (out instanceof Uint8Array && out.length <= input.length);
    }),
    { numRuns: RUNS * 4 },
  );
  t.pass();
});

// ---------- CRC ----------

test('CRC: every error burst up to the CRC width in a frame is caught and counted, never delivered', (t) => {
  fc.assert(
    fc.property(
      crcKind.chain((crc) => fc.tuple(fc.constant(crc), frame(crc))),
      fc.nat(),
      fc.integer({ min: 1, max: 32 }),
      fc.nat(),
      ([crc, f], at, width, pattern) => {
        const raw = frameBytes(f, crc);
        const bits = Math.min(width, crcSize(crc) * 8, raw.length * 8);
        const start = at % (raw.length * 8 - bits + 1);
        // A burst: its first and last bits flipped, anything in between.
        for (let i = 0; i < bits; i++) {
          if (i === 0 || i === bits - 1 || ((pattern >>> i) & 1) === 1) {
            const bit = start + i;
            raw[bit >>> 3] = raw[bit >>> 3]! ^ (0x80 >>> (bit & 7));
          }
        }
        const wire = new Uint8Array([0, ...cobsEncode(raw), 0]);
        const decoder = new FrameDecoder({ crc, maxFrameSize: MAX_FRAME });
        t.deepEqual(decoder.push(wire), []);
        t.is(decoder.stats.crcErrors, 1);
      },
    ),
    { numRuns: RUNS * 2 },
  );
});

// ---------- frames ----------

test('frames: any frames, sliced anywhere, with line noise between them, come out whole and in order', (t) => {
  fc.assert(
    fc.property(
      crcKind.chain((crc) => fc.tuple(fc.constant(crc), fc.array(fc.tuple(frame(crc), fc.uint8Array({ maxLength: 40 })), { maxLength: 8 }))),
      fc.array(fc.nat(), { maxLength: 12 }),
      ([crc, items], cuts) => {
        // Noise before each frame; the frame's leading 0x00 ends it.
        const wire = concat(items.flatMap(([f, noise]) => [noise, encodeFrame(f, { crc })]));
        const decoder = new FrameDecoder({ crc, maxFrameSize: MAX_FRAME });
        const got = sliced(wire, cuts).flatMap((chunk) => decoder.push(chunk));
        const want = items.map(([f]) => ({ version: 1, ...f }));
        // Noise could itself spell a valid frame (a CRC collision, ~2^-32): ours must all be there, in order.
        let i = 0;
        for (const g of got) if (i < want.length && JSON.stringify(g) === JSON.stringify(want[i])) i++;
        t.is(i, want.length, `${got.length} decoded`);
        t.true(decoder.buffered <= decoder.capacity);
      },
    ),
    { numRuns: RUNS },
  );
});

test('frames: arbitrary byte streams never throw, never grow the buffer past its capacity, and every frame returned passed its CRC', (t) => {
  fc.assert(
    fc.property(crcKind, fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 10 }), (crc, chunks) => {
      const decoder = new FrameDecoder({ crc, maxFrameSize: MAX_FRAME });
      for (const chunk of chunks) {
        for (const f of decoder.push(chunk)) {
          t.is(f.version, 1);
          t.true(f.payload.length <= MAX_FRAME - HEADER_SIZE - crcSize(crc));
          packetOf(f);
        }
        t.true(decoder.buffered <= decoder.capacity);
      }
      const s = decoder.stats;
      t.true(s.frames >= 0 && s.crcErrors >= 0 && s.malformed >= 0 && s.oversize >= 0 && s.wrongVersion >= 0);
    }),
    { numRuns: RUNS },
  );
});

// ---------- messages and packets ----------

const str8 = fc.string({ maxLength: 60 }).filter((s) => new TextEncoder().encode(s).length <= 255);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Revision 1 has no extension (features 0); a later one carries its revision (2..255) and features. */
const revision = fc.oneof(
  fc.record({ revision: fc.constant(1), features: fc.constant(0) }),
  fc.record({ revision: fc.integer({ min: 2, max: 255 }), features: u16 }),
);

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc
    .tuple(fc.record({ productId: str8, deviceName: str8, firmwareVersion: str8, maxFrameSize: u16, capabilities: fc.integer({ min: 0, max: 255 }) }), revision)
    .map(([base, ext]) => ({ type: 'hello' as const, ...base, ...ext })),
  fc.tuple(fc.record({ keepaliveIntervalMs: u32, maxFrameSize: u16 }), revision).map(([base, ext]) => ({ type: 'hello_ack' as const, ...base, ...ext })),
  fc.record({ type: fc.constant('hello_refused' as const), reason: fc.integer({ min: 0, max: 255 }), retryAfterMs: u32, message: str8 }),
  fc.record({ type: fc.constantFrom('keepalive' as const, 'keepalive_ack' as const, 'data_ack' as const, 'fw_commit' as const, 'fw_result_ack' as const) }),
  fc.record({ type: fc.constant('fw_cancel' as const), reason: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ type: fc.constant('data' as const), payload: fc.uint8Array({ maxLength: 256 }) }),
  fc.record({ type: fc.constant('fw_offer' as const), version: str8, size: u32, md5: fc.uint8Array({ minLength: 16, maxLength: 16 }), chunkSize: u16 }),
  fc.record({ type: fc.constant('fw_accept' as const), resumeOffset: u32 }),
  fc.record({ type: fc.constant('fw_chunk' as const), offset: u32, bytes: fc.uint8Array({ maxLength: 256 }) }),
  fc.record({ type: fc.constant('fw_ack' as const), offset: u32 }),
  fc.record({ type: fc.constant('fw_ack' as const), offset: u32, sack: fc.integer({ min: 1, max: 0xffffffff }) }),
  fc.record({ type: fc.constant('fw_applying' as const), percent: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ type: fc.constant('fw_result' as const), ok: fc.constant(true as const), version: str8 }),
  fc.record({ type: fc.constant('fw_result' as const), ok: fc.constant(false as const), code: fc.integer({ min: -32768, max: 32767 }), message: str8 }),
  fc.record({ type: fc.constant('bye' as const), reason: fc.integer({ min: 0, max: 255 }) }),
);

test('messages: every valid message round-trips through encodeMessage and decodeMessage, in either direction', (t) => {
  fc.assert(
    fc.property(messageArb, fc.boolean(), (message, fromSubdevice) => {
      const code = messageTypeCode(message.type) | (fromSubdevice ? 0x80 : 0);
      t.deepEqual(decodeMessage(code, encodeMessage(message)), message);
    }),
    { numRuns: RUNS * 2 },
  );
});

/** Revision 1 without extension, or an extension of revision 2..255 with 16-bit features. */
function revisionOk(revision: number, features: number): boolean {
  return revision === 1 ? features === 0 : Number.isInteger(revision) && revision >= 2 && revision <= 255 && Number.isInteger(features) && features >= 0 && features <= 0xffff;
}

/** The ranges the README's message table gives each field. */
function withinSpec(m: Message): boolean {
  const str8ok = (s: string): boolean => new TextEncoder().encode(s).length <= 255;
  const u = (v: number, bits: number): boolean => Number.isInteger(v) && v >= 0 && v < 2 ** bits;
  switch (m.type) {
    case 'hello':
      return (
        str8ok(m.productId) && str8ok(m.deviceName) && str8ok(m.firmwareVersion) && u(m.maxFrameSize, 16) && u(m.capabilities, 8) && revisionOk(m.revision, m.features)
      );
    case 'hello_ack':
      return u(m.keepaliveIntervalMs, 32) && u(m.maxFrameSize, 16) && revisionOk(m.revision, m.features);
    case 'hello_refused':
      return u(m.reason, 8) && u(m.retryAfterMs, 32) && str8ok(m.message);
    case 'fw_cancel':
      return u(m.reason, 8);
    case 'fw_offer':
      return str8ok(m.version) && u(m.size, 32) && m.md5.length === 16 && u(m.chunkSize, 16);
    case 'fw_accept':
      return u(m.resumeOffset, 32);
    case 'fw_chunk':
      return u(m.offset, 32);
    case 'fw_ack':
      return u(m.offset, 32) && (m.sack === undefined || (u(m.sack, 32) && m.sack !== 0));
    case 'fw_applying':
      return u(m.percent, 8) && m.percent <= 100;
    case 'fw_result':
      return m.ok ? str8ok(m.version) : str8ok(m.message) && Number.isInteger(m.code) && m.code >= -32768 && m.code <= 32767;
    case 'bye':
      return u(m.reason, 8);
    default:
      return true;
  }
}

test('messages: any type code and payload decode to undefined or a message within the spec, never a throw, and decoding is stable', (t) => {
  // Noise, and valid payloads with one byte changed, cut short or extended: the near misses.
  const nearMiss = fc
    .tuple(messageArb, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'truncate', 'extend'))
    .map(([m, up, at, byte, how]): [number, Uint8Array] => {
      const bytes = encodeMessage(m);
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      const mutated =
        how === 'truncate' ? bytes.slice(0, i) : how === 'extend' || bytes.length === 0 ? new Uint8Array([...bytes, byte]) : bytes.map((b, j) => (j === i ? byte : b));
      return [messageTypeCode(m.type) | (up ? 0x80 : 0), mutated];
    });
  fc.assert(
    fc.property(fc.oneof(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 })), nearMiss), ([code, payload]) => {
      const m = decodeMessage(code, payload);
      if (m === undefined) return;
      t.true(withinSpec(m), JSON.stringify(m));
      // What was accepted re-encodes to something that decodes to the same message.
      t.deepEqual(decodeMessage(code, encodeMessage(m)), m);
    }),
    { numRuns: RUNS * 4 },
  );
});

test('packets: encodePacket → byte stream → FrameDecoder → packetOf gives the packet back', (t) => {
  const packet: fc.Arbitrary<Packet> = fc.record({
    address: fc.integer({ min: 0, max: 255 }),
    direction: fc.constantFrom('to_subdevice' as const, 'from_subdevice' as const),
    seq: u16,
    message: messageArb,
  });
  fc.assert(
    fc.property(crcKind, fc.array(packet, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (crc, packets, cuts) => {
      const decoder = new FrameDecoder({ crc, maxFrameSize: 1100 });
      const wire = concat(packets.map((p) => encodePacket(p, { crc })));
      const got = sliced(wire, cuts).flatMap((chunk) => decoder.push(chunk)).map((f) => packetOf(f));
      t.deepEqual(got, packets);
    }),
    { numRuns: RUNS },
  );
});
