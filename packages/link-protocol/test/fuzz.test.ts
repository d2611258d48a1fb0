import test from 'ava';
import { FrameDecoder, encodeFrame, packetOf } from '../src/index.js';
import { prng } from './prng.js';

test('fuzz: 1,000,000 random and mutated frames never throw and never grow the buffer', (t) => {
  const rand = prng(0xc0ffee);
  const decoder = new FrameDecoder({ maxFrameSize: 300 });
  const templates: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    const payload = new Uint8Array(rand() % 280);
    for (let j = 0; j < payload.length; j++) payload[j] = rand() & 0xff;
    templates.push(encodeFrame({ address: rand() & 0xff, type: rand() & 0xff, seq: rand() & 0xffff, payload }));
  }
  let decoded = 0;
  let maxBuffered = 0;
  const scratch = new Uint8Array(400);
  for (let n = 0; n < 1_000_000; n++) {
    const kind = rand() % 4;
    let chunk: Uint8Array;
    if (kind === 0) {
      // Pure noise, short, with zeros sprinkled in.
      const len = rand() % 48;
      for (let i = 0; i < len; i++) scratch[i] = rand() % 5 === 0 ? 0 : rand() & 0xff;
      chunk = scratch.subarray(0, len);
    } else {
      const src = templates[rand() % templates.length]!;
      // A mutated frame: flip, drop or truncate a few bytes; sometimes leave it intact.
      const len = kind === 3 ? rand() % (src.length + 1) : src.length;
      scratch.set(src.subarray(0, len));
      const flips = kind === 1 ? 0 : 1 + (rand() % 3);
      for (let f = 0; f < flips; f++) scratch[rand() % Math.max(1, len)] = rand() & 0xff;
      chunk = scratch.subarray(0, len);
    }
    const frames = decoder.push(chunk);
    for (const frame of frames) packetOf(frame);
    decoded += frames.length;
    if (decoder.buffered > maxBuffered) maxBuffered = decoder.buffered;
  }
  t.true(maxBuffered <= decoder.capacity);
  t.true(decoded > 100_000, `decoded ${decoded}`);
  t.log(`decoded ${decoded} frames, stats ${JSON.stringify(decoder.stats)}, max buffered ${maxBuffered}/${decoder.capacity}`);
});
