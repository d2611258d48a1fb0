import test from 'ava';
import { FrameDecoder, decodeMessage, encodeMessage, encodePacket, packetOf } from '../src/index.js';
import { fromHex, toHex, vectors } from './load-vectors.js';
import { fromJson, toJson } from './vectors/json-form.js';
import { decodeWire, playScenario } from './vectors/scenario-player.js';

// The optional features' vectors (README §12): frames, malformed payloads and scenarios.
for (const v of vectors.features.frames) {
  test(`feature frame ${v.name} (${v.feature}): encodes to the exact payload and wire, decodes back`, (t) => {
    const message = fromJson(v.message);
    t.is(toHex(encodeMessage(message)), v.payload);
    t.is(toHex(encodePacket({ address: v.address, direction: v.direction, seq: v.seq, message })), v.wire);
    const frames = new FrameDecoder({ crc: v.crc }).push(fromHex(v.wire));
    const packet = packetOf(frames[0]!);
    t.deepEqual(packet && toJson(packet.message), v.message);
    if (v.message.type !== 'hello' && v.message.type !== 'hello_ack') {
      t.is(decodeMessage(frames[0]!.type, frames[0]!.payload, { revision: 1 }), undefined, 'a revision-1 receiver knows no feature message');
    }
  });
}

test('feature malformed payloads are dropped', (t) => {
  for (const v of vectors.features.malformed) {
    const frames = new FrameDecoder().push(fromHex(v.wire));
    t.is(frames.length, 1, v.why);
    t.is(decodeMessage(frames[0]!.type, frames[0]!.payload), undefined, v.why);
  }
});

for (const scenario of vectors.features.scenarios) {
  test(`feature scenario: ${scenario.name} (${scenario.spec})`, (t) => {
    const outputs = playScenario(
      scenario.config,
      scenario.steps.map((s) => ({ at: s.at, ...(s.in ? { in: s.in.map((i) => i.wire) } : {}), ...(s.app ? { app: s.app } : {}) })),
    );
    for (const [i, step] of scenario.steps.entries()) {
      const got = outputs[i]!.out;
      t.deepEqual(
        got.map((w) => decodeWire(w, scenario.config.crc)?.message.type),
        step.out.map((o) => o.message.type),
        `t=${step.at}`,
      );
      t.deepEqual(got, step.out.map((o) => o.wire), `t=${step.at}: exact bytes`);
      if (step.delivered) t.deepEqual(outputs[i]!.delivered, step.delivered, `t=${step.at}: delivered`);
    }
  });
}

test('the feature scenarios cover a held response, an unagreed feature, a time request resent and channels both ways', (t) => {
  const names = vectors.features.scenarios.map((s) => s.name).join('\n');
  for (const topic of ['same RESPONSE again', 'did not agree', 'resent', 'CHANNEL_DATA up and down', 'did not agree to CHANNELS']) t.true(names.includes(topic), topic);
});
