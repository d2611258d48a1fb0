import test from 'ava';
import { FrameDecoder, cobsDecode, cobsEncode, crc16ccitt, crc32c, decodeMessage, encodeFrame, encodeMessage, encodePacket, packetOf, type Message } from '../src/index.js';
import { fromHex, toHex, vectors } from './load-vectors.js';
import { fromJson, type JsonMessage } from './vectors/json-form.js';

const messageOf = (v: Record<string, unknown>): Message => fromJson(v as JsonMessage);

test('CRC check values match the catalogue (123456789)', (t) => {
  const input = fromHex(vectors.crc.input);
  t.is(crc32c(input).toString(16), vectors.crc.crc32c);
  t.is(vectors.crc.crc32c, 'e3069283');
  t.is(crc16ccitt(input).toString(16), vectors.crc.crc16);
  t.is(vectors.crc.crc16, '29b1');
});

test('COBS encodes and decodes the vector table', (t) => {
  for (const v of vectors.cobs) {
    t.is(toHex(cobsEncode(fromHex(v.raw))), v.encoded, v.raw);
    t.is(toHex(cobsDecode(fromHex(v.encoded))!), v.raw);
  }
});

test('COBS output never contains 0x00 and round-trips random data', (t) => {
  let seed = 1;
  for (let n = 0; n < 600; n++) {
    const raw = new Uint8Array(n);
    for (let i = 0; i < n; i++) raw[i] = (seed = (seed * 1103515245 + 12345) >>> 0) % 3 === 0 ? 0 : seed & 0xff;
    const enc = cobsEncode(raw);
    t.false(enc.includes(0));
    t.deepEqual(cobsDecode(enc), raw);
  }
});

test('COBS rejects malformed blocks', (t) => {
  t.is(cobsDecode(fromHex('05 11 22'.replaceAll(' ', ''))), undefined);
  t.is(cobsDecode(fromHex('021100')), undefined);
});

for (const v of vectors.frames) {
  test(`vector ${v.name} (${v.crc}, revision ${v.revision}) encodes to the recorded wire bytes and decodes back`, (t) => {
    const message = messageOf(v.message);
    const wire = encodePacket({ address: v.address, direction: v.direction, seq: v.seq, message }, { crc: v.crc });
    t.is(toHex(wire), v.wire);
    t.is(toHex(encodeMessage(message)), v.payload);
    const frames = new FrameDecoder({ crc: v.crc }).push(fromHex(v.wire));
    t.is(frames.length, 1);
    // A receiver of the frame's revision decodes it (a revision-1 one only knows revision-1 layouts).
    const packet = packetOf(frames[0]!, { revision: v.revision });
    t.truthy(packet);
    t.is(packet!.address, v.address);
    t.is(packet!.direction, v.direction);
    t.is(packet!.seq, v.seq);
    t.deepEqual(packet!.message, message);
  });
}

test('decoder reassembles frames split at every byte boundary and back to back', (t) => {
  const stream = Buffer.concat(vectors.frames.filter((v) => v.crc === 'crc32c').map((v) => fromHex(v.wire)));
  const decoder = new FrameDecoder();
  const got = [];
  for (const b of stream) got.push(...decoder.push(Uint8Array.of(b)));
  t.is(got.length, vectors.frames.length / 2);
  t.true(got.length >= 30);
});

test('decoder drops a corrupted frame, counts it, and resyncs on the next one', (t) => {
  const good = fromHex(vectors.frames[4]!.wire);
  const bad = good.slice();
  bad[6] = bad[6]! ^ 0x40;
  const decoder = new FrameDecoder();
  const frames = decoder.push(Uint8Array.from([0x13, 0x37, ...bad, ...good]));
  t.is(frames.length, 1);
  t.is(decoder.stats.crcErrors + decoder.stats.malformed, 2);
});

test('decoder discards an oversize frame up to its delimiter and keeps its buffer bounded', (t) => {
  const decoder = new FrameDecoder({ maxFrameSize: 64 });
  const big = encodeFrame({ address: 1, type: 0x10, seq: 1, payload: new Uint8Array(500).fill(7) });
  const small = encodeFrame({ address: 1, type: 0x10, seq: 2, payload: new Uint8Array(10).fill(7) });
  const frames = decoder.push(Uint8Array.from([...big, ...small]));
  t.is(frames.length, 1);
  t.is(frames[0]!.seq, 2);
  t.is(decoder.stats.oversize, 1);
  t.true(decoder.capacity < 70);
  decoder.push(new Uint8Array(10_000).fill(1));
  t.true(decoder.buffered <= decoder.capacity);
});

test('crc16 framing does not accept crc32c frames', (t) => {
  const wire = fromHex(vectors.frames.find((v) => v.crc === 'crc32c')!.wire);
  t.is(new FrameDecoder({ crc: 'crc16' }).push(wire).length, 0);
});

test('packetOf rejects truncated payloads and unknown types', (t) => {
  t.is(packetOf({ version: 1, address: 1, type: 0x21, seq: 0, payload: Uint8Array.of(1, 2) }), undefined);
  t.is(packetOf({ version: 1, address: 1, type: 0x55, seq: 0, payload: new Uint8Array(0) }), undefined);
  t.is(packetOf({ version: 1, address: 1, type: 0x03, seq: 0, payload: Uint8Array.of(1) }), undefined);
});

test('FW_ACK: the SACK bitmap is optional and omitted when zero', (t) => {
  const plain = packetOf({ version: 1, address: 1, type: 0xa3, seq: 0, payload: Uint8Array.of(0, 0, 1, 0) });
  t.deepEqual(plain?.message, { type: 'fw_ack', offset: 256 });
  const zero = packetOf({ version: 1, address: 1, type: 0xa3, seq: 0, payload: Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 0) });
  t.deepEqual(zero?.message, { type: 'fw_ack', offset: 256 });
  const sack = packetOf({ version: 1, address: 1, type: 0xa3, seq: 0, payload: Uint8Array.of(0, 0, 1, 0, 0x80, 0, 0, 1) });
  t.deepEqual(sack?.message, { type: 'fw_ack', offset: 256, sack: 0x80000001 });
  t.is(packetOf({ version: 1, address: 1, type: 0xa3, seq: 0, payload: Uint8Array.of(0, 0, 1, 0, 1) }), undefined);
});

test('a frame with the other CRC kind is counted apart: the two ends disagree on crc, the line is not noisy', (t) => {
  const crc16Wire = fromHex(vectors.frames.find((v) => v.crc === 'crc16')!.wire);
  const decoder = new FrameDecoder({ crc: 'crc32c' });
  t.is(decoder.push(crc16Wire).length, 0);
  t.is(decoder.stats.otherCrc, 1);
  const corrupted = fromHex(vectors.frames.find((v) => v.crc === 'crc32c')!.wire);
  corrupted[5] = corrupted[5]! ^ 0x01;
  decoder.push(corrupted);
  t.true(decoder.stats.crcErrors + decoder.stats.malformed >= 2);
  t.is(decoder.stats.otherCrc, 1, 'plain corruption is not mistaken for the other kind');
  const back = new FrameDecoder({ crc: 'crc16' });
  back.push(fromHex(vectors.frames.find((v) => v.crc === 'crc32c')!.wire));
  t.is(back.stats.otherCrc, 1);
});

for (const v of vectors.malformed) {
  test(`malformed: ${v.why} — the frame is intact but the message is dropped`, (t) => {
    const frames = new FrameDecoder().push(fromHex(v.wire));
    t.is(frames.length, 1, 'the CRC is right');
    t.is(packetOf(frames[0]!), undefined);
    t.is(decodeMessage(v.type, fromHex(v.payload)), undefined);
  });
}

for (const v of vectors.accepted) {
  test(`accepted: ${v.why}`, (t) => {
    const m = decodeMessage(v.type, fromHex(v.payload));
    t.truthy(m);
    t.is((m as { revision?: number }).revision, 3);
    // A revision-1 receiver knew no extension: to it the same payload is malformed.
    t.is(decodeMessage(v.type, fromHex(v.payload), { revision: 1 }), undefined);
  });
}

test('the vectors cover every message type, with both CRCs, in revision 2', (t) => {
  const types = new Set(vectors.frames.filter((v) => v.crc === 'crc16').map((v) => (v.message as { type: string }).type));
  for (const type of ['hello', 'hello_ack', 'hello_refused', 'keepalive', 'keepalive_ack', 'data', 'data_ack', 'fw_offer', 'fw_accept', 'fw_chunk', 'fw_ack', 'fw_commit', 'fw_applying', 'fw_result', 'fw_result_ack', 'fw_cancel', 'bye']) {
    t.true(types.has(type), type);
  }
  t.is(vectors.revision, 2);
});
