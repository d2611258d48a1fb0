#!/usr/bin/env node
// Packs every shipped package (each workspace not marked "private") into a tarball, as `npm publish`
// would ship it: `npm pack` runs each package's prepack build. Used by the Dockerfile and the
// packaging test; prints npm's JSON report on stdout.
//   node scripts/pack.mjs <destination-dir>
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceDirs } from './workspaces.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Names of the workspace packages that ship (not "private"), in the root package.json's order. */
export function shippedWorkspaces() {
  const names = [];
  for (const dir of workspaceDirs(root)) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    if (pkg.private !== true) names.push(pkg.name);
  }
  return names;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dest] = process.argv.slice(2);
  if (!dest) {
    process.stderr.write('usage: node scripts/pack.mjs <destination-dir>\n');
    process.exit(2);
  }
  mkdirSync(dest, { recursive: true });
  const args = ['pack', '--pack-destination', dest, '--json', ...shippedWorkspaces().flatMap((name) => ['-w', name])];
  const npm = spawnSync('npm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  process.exit(npm.status ?? 1);
}
