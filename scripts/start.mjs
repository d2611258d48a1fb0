#!/usr/bin/env node
// `npm start`: build the gateway app (and the packages it references), then run `iotgw demo`.
// Extra arguments go to the demo (`npm start -- --keep-running`); its exit code is ours.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'apps/gateway/dist/src/bin/iotgw.js');

// tsc -b builds apps/gateway and its project references, incrementally (a second start is quick).
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
process.stdout.write('building the gateway app (tsc -b apps/gateway)...\n');
const build = spawnSync(process.execPath, [tsc, '-b', 'apps/gateway'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  process.stderr.write(`npm start: the build failed (exit ${build.status ?? build.signal}); fix the errors above and run it again\n`);
  process.exit(build.status ?? 1);
}
if (!existsSync(bin)) {
  process.stderr.write(`npm start: ${bin} was not built\n`);
  process.exit(1);
}

const child = spawn(process.execPath, [bin, 'demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to us is passed on.
// Either way we wait for the demo to clean up and exit with its code.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
});
