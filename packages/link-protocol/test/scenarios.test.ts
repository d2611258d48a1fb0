import test from 'ava';
import { vectors } from './load-vectors.js';
import { decodeWire, playScenario } from './vectors/scenario-player.js';

// Every scenario of test/vectors.json, played on the TypeScript SubdeviceEngine: what a
// conforming subdevice sends, byte for byte (README §11). A C implementation runs the same file.
for (const scenario of vectors.scenarios) {
  test(`scenario: ${scenario.name} (${scenario.spec})`, (t) => {
    const outputs = playScenario(
      scenario.config,
      scenario.steps.map((s) => ({ at: s.at, ...(s.in ? { in: s.in.map((i) => i.wire) } : {}), ...(s.app ? { app: s.app } : {}) })),
    );
    for (const [i, step] of scenario.steps.entries()) {
      const got = outputs[i]!;
      const where = `t=${step.at}`;
      t.is(got.out.length, step.out.length, `${where}: ${got.out.length} frames out, expected ${step.out.length}`);
      for (const [j, expected] of step.out.entries()) {
        if (!expected.ignore) {
          t.is(got.out[j], expected.wire, `${where}: frame ${j} (${expected.message.type})`);
          continue;
        }
        // A free text: compare decoded, without the ignored fields.
        const decoded = decodeWire(got.out[j] ?? '', scenario.config.crc);
        const strip = (m: Record<string, unknown>): Record<string, unknown> =>
          Object.fromEntries(Object.entries(m).filter(([k]) => !expected.ignore!.includes(k)));
        t.is(decoded?.seq, expected.seq, `${where}: frame ${j} seq`);
        t.deepEqual(strip({ ...(decoded?.message ?? {}) }), strip(expected.message), `${where}: frame ${j}`);
      }
      t.deepEqual(got.delivered, step.delivered, `${where}: delivered`);
      t.is(got.settled, step.settled, `${where}: settled`);
    }
  });
}

test('the scenarios cover boot, reading, downlink, update, resume, refusal, cancel, stale transfers and revision 1', (t) => {
  const names = vectors.scenarios.map((s) => s.name).join('\n');
  for (const topic of ['boot', 'reading', 'downlink', 'update', 'resume', 'refused', 'cancel', 'no offer in this session', 'revision 1']) {
    t.true(names.includes(topic), topic);
  }
});
