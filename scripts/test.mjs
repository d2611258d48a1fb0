#!/usr/bin/env node
// `npm test`: build, lint and test every package, then one closing line with the grand total:
// "N passed, N failed". A build or lint failure with no failed test counts as one failure.
// Extra arguments go to turbo (e.g. `npm test -- --filter=@iotgw/domain`).
//
// Why the build is one `tsc -b` over every project and not turbo's build per package: each package's
// `tsc -b` re-reads every referenced project and @types/node (one tsc -b: 49 s wall; 18 of them:
// 293 s, measured on the 2-core box). Then turbo runs the tests with --only, one package at a
// time: the packages' tests spawn processes and hold real timers, and side by side they tripped
// each other's deadlines on a crowded 2-core box (tried 2026-11-30: 17 failures, all deadlines).
// Lint runs once over every package before the tests (below).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testFailures, testTotals } from './test-totals.mjs';
import { workspaceDirs } from './workspaces.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resolve = createRequire(join(root, 'package.json')).resolve;
const turbo = resolve('turbo/bin/turbo');
const tsc = resolve('typescript/bin/tsc');
const env = { TURBO_TELEMETRY_DISABLED: '1', ...process.env };

const lines = [];
const children = new Set();
// Stop every child on SIGINT/SIGTERM (from the terminal they get Ctrl-C themselves as well; sent to
// npm alone, only through us), then still report what ran.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => children.forEach((c) => c.kill(signal)));

/** Runs a command, echoing and collecting its output line by line (streams never splice mid-line). */
function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  for (const [stream, out] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    let pending = '';
    stream.setEncoding('utf8').on('data', (chunk) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      if (parts.length > 0) out.write(`${parts.join('\n')}\n`);
      lines.push(...parts);
    });
    stream.on('end', () => {
      if (!pending) return;
      out.write(`${pending}\n`);
      lines.push(pending);
    });
  }
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      done(code ?? (signal ? 1 : 0));
    }),
  );
}

const turboRun = (args) => run(process.execPath, [turbo, 'run', ...args, '--only', '--continue']);

const extra = process.argv.slice(2);
const started = Date.now();
const projects = workspaceDirs(root).filter((dir) => existsSync(join(root, dir, 'tsconfig.json')));
process.stdout.write(`build: tsc -b ${projects.length} projects\n`);
let status = await run(process.execPath, [tsc, '-b', ...projects]);
// What apps/gateway's own build script adds to its tsc -b.
for (const bin of ['iotgw.js', 'iotgw-subdevice.js']) {
  const path = join(root, 'apps/gateway/dist/src/bin', bin);
  if (existsSync(path)) chmodSync(path, 0o755);
}
process.stdout.write(`build: ${status === 0 ? 'done' : `failed (tsc exit ${status})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

// Lint: one eslint over what every package's own lint script names (type-aware rules build one
// TypeScript program per process: 18 package runs took 141 s, one run 49 s on the 2-core box).
// With a turbo filter (`npm test -- --filter=...`) each chosen package lints itself instead.
const statuses = [];
if (extra.length === 0) {
  const targets = workspaceDirs(root).flatMap((dir) => {
    const script = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).scripts?.lint ?? '';
    const words = /^eslint( [\w./-]+)+$/.test(script) ? script.split(' ').slice(1) : [];
    return words.map((w) => `${dir}/${w}`).filter((target) => existsSync(join(root, target)));
  });
  process.stdout.write(`lint: eslint over ${targets.length} folders of ${projects.length} packages\n`);
  const linted = await run(process.execPath, [join(dirname(resolve('eslint/package.json')), 'bin/eslint.js'), ...targets]);
  process.stdout.write(`lint: ${linted === 0 ? 'clean' : `failed (eslint exit ${linted})`}\n`);
  statuses.push(linted, await turboRun(['test', '--concurrency=1']));
} else {
  statuses.push(await turboRun(['lint', 'test', '--concurrency=1', ...extra]));
}
status = [status, ...statuses].find((s) => s !== 0) ?? 0;
const { passed, failed } = testTotals(lines);
// CI keeps only the tail of a long log: what failed goes last, just above the total.
const failures = testFailures(lines);
if (failures.length > 0) process.stdout.write(`\n${failures.join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${status !== 0 && failed === 0 ? 1 : failed} failed\n`);
process.exit(status);
