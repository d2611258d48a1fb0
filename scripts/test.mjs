#!/usr/bin/env node
// `npm test`: build, lint and test every package, then one closing line with the grand total:
// "N passed, N failed". A build or lint failure with no failed test counts as one failure.
// Extra arguments go to turbo (e.g. `npm test -- --filter=@iotgw/domain`).
//
// Why it is not one `turbo run build lint test --concurrency=1` (what it was: ~13 min in CI):
// - Build: one `tsc -b` over every project compiles in a third of the CPU time of a `tsc -b` per
//   package (each of those re-reads every referenced project and @types/node), so turbo then runs
//   lint and test with --only (their build dependency is done).
// - The suite mostly waits (child processes, sockets, fault windows), so three streams run side by
//   side: the two long e2e packages (gateway, chaos), the other packages' tests (one package at a
//   time, as before: several of them have in-process ack timers a crowded CPU trips), and lint.
//   Lint is pure CPU and nothing waits on it: it runs niced, so the tests get the cores first.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testTotals } from './test-totals.mjs';
import { workspaceDirs } from './workspaces.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resolve = createRequire(join(root, 'package.json')).resolve;
const turbo = resolve('turbo/bin/turbo');
const tsc = resolve('typescript/bin/tsc');
const env = { TURBO_TELEMETRY_DISABLED: '1', ...process.env };
/** The packages whose tests take longest (minutes of e2e over real processes): started first, side by side. */
const LONG = ['@iotgw/gateway', '@iotgw/chaos'];

const lines = [];
const children = new Set();
// Stop every child on SIGINT/SIGTERM (from the terminal they get Ctrl-C themselves as well; sent to
// npm alone, only through us), then still report what ran.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => children.forEach((c) => c.kill(signal)));

/** Runs a command, echoing and collecting its output line by line (streams never splice mid-line). */
function run(command, args, { nice = false } = {}) {
  const child = nice ? spawn('nice', ['-n', '10', command, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env }) : spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
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

const turboRun = (args, options) => run(process.execPath, [turbo, 'run', ...args, '--only', '--continue'], options);

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

const statuses = await Promise.all(
  extra.length > 0
    ? [turboRun(['lint', 'test', '--concurrency=2', ...extra])]
    : [
        turboRun(['test', '--concurrency=2', ...LONG.map((name) => `--filter=${name}`)]),
        turboRun(['test', '--concurrency=1', ...LONG.map((name) => `--filter=!${name}`)]),
        turboRun(['lint', '--concurrency=1'], { nice: true }),
      ],
);
status = [status, ...statuses].find((s) => s !== 0) ?? 0;
const { passed, failed } = testTotals(lines);
process.stdout.write(`\n${passed} passed, ${status !== 0 && failed === 0 ? 1 : failed} failed\n`);
process.exit(status);
