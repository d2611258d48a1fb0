#!/usr/bin/env node
// `npm test`: build, lint and test every package (turbo), then one closing line with the grand
// total: "N passed, N failed". A build or lint failure with no failed test counts as one failure.
// Extra arguments go to turbo (e.g. `npm test -- --filter=@iotgw/domain`).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testTotals } from './test-totals.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const turbo = createRequire(join(root, 'package.json')).resolve('turbo/bin/turbo');
const child = spawn(process.execPath, [turbo, 'run', 'build', 'lint', 'test', '--concurrency=1', '--continue', ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['inherit', 'pipe', 'pipe'],
  env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
});
const lines = [];
let pending = '';
const collect = (chunk) => {
  pending += chunk;
  const parts = pending.split('\n');
  pending = parts.pop() ?? '';
  lines.push(...parts);
};
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  process.stdout.write(chunk);
  collect(chunk);
});
child.stderr.setEncoding('utf8').on('data', (chunk) => {
  process.stderr.write(chunk);
  collect(chunk);
});
// Stop turbo on SIGINT/SIGTERM (from the terminal it gets Ctrl-C itself as well; sent to npm alone,
// only through us), then still report what ran.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const status = await new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
if (pending) lines.push(pending);
const { passed, failed } = testTotals(lines);
process.stdout.write(`\n${passed} passed, ${status !== 0 && failed === 0 ? 1 : failed} failed\n`);
process.exit(status);
