#!/usr/bin/env node
// `npm run iotgw -- <args>`: the built `iotgw` CLI, or a clear word if it is not built yet.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'apps/gateway/dist/src/bin/iotgw.js');
if (!existsSync(bin)) {
  process.stderr.write('iotgw is not built yet: run "npm run build" first (or "npm start", which builds and runs the demo)\n');
  process.exit(2);
}
process.argv = [process.argv[0] ?? process.execPath, bin, ...process.argv.slice(2)];
await import(pathToFileURL(bin).href);
