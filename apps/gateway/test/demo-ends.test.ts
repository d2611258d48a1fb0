import test from 'ava';
import { fileURLToPath } from 'node:url';
import { privateDir, processesMentioning, spawnCli } from './helpers/processes.js';

// A demo must always end, and Ctrl-C must always stop it within 2 s, leaving no process behind.
// Each run gets its own TMPDIR, so whatever it spawned (socat pty pairs) can be found by that path.
// More runs: IOTGW_DEMO_RUNS=50 npx ava dist/test/demo-ends.test.js (also run by `npm run chaos`).

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));
const RUNS = Math.max(1, Number(process.env.IOTGW_DEMO_RUNS ?? 3));
/** A normal run takes ~5 s; this only has to tell "ended" from "hung" on a loaded machine. */
const HARD_DEADLINE_MS = 100_000;
const SIGINT_BUDGET_MS = 2_000;

for (let run = 1; run <= RUNS; run++) {
  test.serial(`iotgw demo ends by itself with exit 0 and leaves no process behind (run ${run} of ${RUNS})`, async (t) => {
    const tmp = await privateDir(t, 'iotgw-demo-ends-');
    const demo = spawnCli(process.execPath, [bin, 'demo'], { env: { ...process.env, TMPDIR: tmp } });
    const exit = await demo.exitWithin(HARD_DEADLINE_MS);
    const out = demo.output();
    t.not(exit, 'timeout', `still running ${HARD_DEADLINE_MS} ms after start:\n${out}`);
    t.deepEqual(exit, { code: 0, signal: null }, out);
    t.regex(out, /all 13 steps succeeded/);
    // The teardown itself finished: neither a part overran its budget nor the CLI's last-resort exit fired.
    t.notRegex(out, /did not (stop|close) within|still open 2 s after the command finished/, out);
    t.deepEqual(processesMentioning(tmp), [], 'processes of this run outlived it');
  });
}

for (const [when, marker] of [
  ['while it walks the flows', /✔ start gateway/],
  ['during the firmware update', /✔ data down/],
  ['in --keep-running, after the summary', /hub emulator console: http/],
] as const) {
  test.serial(`SIGINT stops iotgw demo within ${SIGINT_BUDGET_MS} ms ${when}, leaving no process behind`, async (t) => {
    const tmp = await privateDir(t, 'iotgw-demo-ends-');
    const args = when.includes('keep-running') ? ['demo', '--keep-running'] : ['demo'];
    const demo = spawnCli(process.execPath, [bin, ...args], { env: { ...process.env, TMPDIR: tmp } });
    await demo.waitForOutput(marker);
    const sent = performance.now();
    demo.child.kill('SIGINT');
    const exit = await demo.exitWithin(HARD_DEADLINE_MS);
    const ms = performance.now() - sent;
    t.not(exit, 'timeout', demo.output());
    t.true(ms <= SIGINT_BUDGET_MS, `took ${Math.round(ms)} ms after SIGINT:\n${demo.output()}`);
    if (exit !== 'timeout') t.is(exit.signal, null, 'ended by its own exit, not killed');
    t.deepEqual(processesMentioning(tmp), [], 'processes of this run outlived it');
  });
}
