#!/usr/bin/env node
// `npm start`: build the gateway app (and the packages it references), then run `iotgw demo` in this
// same process, so a signal reaches the demo directly: the npm script execs node (`exec node ...`),
// so a SIGINT sent to npm alone (a supervisor, CI) is forwarded to us, not to an intermediate shell.
// Extra arguments go to the demo (`npm start -- --keep-running`); its exit code is ours.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildWithProgress } from './build-progress.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'apps/gateway/dist/src/bin/iotgw.js');

// tsc -b is incremental: the first start compiles every package (~40 s), later ones are quick.
process.stdout.write('building the gateway app and the packages it uses (tsc -b apps/gateway)...\n');
await buildWithProgress(root, 'apps/gateway');
if (!existsSync(bin)) {
  process.stderr.write(`npm start: ${bin} was not built\n`);
  process.exit(1);
}
process.argv = [process.argv[0] ?? process.execPath, bin, 'demo', ...process.argv.slice(2)];
await import(pathToFileURL(bin).href);
