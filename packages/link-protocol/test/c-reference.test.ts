/*
 * The C reference implementation of the subdevice side (c/) is the spec's second implementation:
 * built here with -Wall -Wextra -Werror -std=c99 -pedantic, its vector runner run under
 * AddressSanitizer and UBSan against the same test/vectors.json the TypeScript engines pass.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cDir = fileURLToPath(new URL('../../c', import.meta.url));
const vectorsPath = fileURLToPath(new URL('../../test/vectors.json', import.meta.url));

function compiler(): string | undefined {
  for (const cc of ['cc', 'gcc']) if (spawnSync('sh', ['-c', `command -v ${cc}`]).status === 0) return cc;
  return undefined;
}

test('the C subdevice passes every vector and its engine tests (make test: -Werror build, ASan + UBSan run)', (t) => {
  const cc = compiler();
  if (!cc || spawnSync('sh', ['-c', 'command -v make']).status !== 0) {
    if (process.env.CI === 'true') return t.fail('CI needs a C compiler and make for the C reference implementation');
    t.log('SKIPPED: no C compiler or make on PATH, the C reference implementation was not built');
    return t.pass();
  }
  // A build dir of our own: another test run (the gateway e2e builds the demo) never shares objects.
  const build = mkdtempSync(join(tmpdir(), 'lp-c-'));
  t.teardown(() => rmSync(build, { recursive: true, force: true }));
  const made = spawnSync('make', ['-C', cDir, `B=${build}`, `VECTORS=${vectorsPath}`, 'test'], { encoding: 'utf8', env: { ...process.env, CC: cc } });
  const out = `${made.stdout}\n${made.stderr}`;
  t.is(made.status, 0, out);
  const totals = /(\d+) vector checks, (\d+) passed, (\d+) failed/.exec(made.stdout);
  t.truthy(totals, out);
  const [checks, passed, failed] = (totals ?? []).slice(1).map(Number);
  t.log(`C reference: ${passed}/${checks} vector checks passed`);
  t.is(failed, 0, out);
  t.is(passed, checks);
  const engine = /(\d+) engine checks, (\d+) passed, (\d+) failed/.exec(made.stdout);
  t.truthy(engine, out);
  t.is(engine?.[3], '0', out);
  t.log(`C engine tests (beyond the vectors): ${engine?.[2]}/${engine?.[1]} checks passed`);
  // Every scenario was played and every frame checked: the runner cannot silently skip a section.
  const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as { scenarios: unknown[]; frames: unknown[] };
  t.regex(made.stdout, new RegExp(`scenarios: ${vectors.scenarios.length} played`));
  const frames = /frames: (\d+) checks/.exec(made.stdout);
  t.true(Number(frames?.[1]) >= vectors.frames.length * 3, out);
});
