#!/usr/bin/env node
// Installs packed iotgw tarballs (`npm pack --workspaces`) into a project directory as a user would:
// a package.json whose dependencies, and overrides, name the tarballs, so every @iotgw/* package
// comes from them and never from a registry. Used by the Dockerfile and by the packaging test.
//   node scripts/install-tarballs.mjs <dir-with-tarballs> <project-dir> [extra npm install flags...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The package.json that installs every tarball in `packs`: `{ "@iotgw/x": "file:/packs/iotgw-x-1.0.0.tgz" }`. */
export function tarballManifest(packs) {
  const deps = {};
  for (const file of readdirSync(packs).filter((f) => /^iotgw-.*\.tgz$/.test(f)).sort()) {
    const name = `@iotgw/${file.replace(/^iotgw-/, '').replace(/-\d+\.\d+\.\d+(-[\w.]+)?\.tgz$/, '')}`;
    deps[name] = `file:${join(resolve(packs), file)}`;
  }
  if (Object.keys(deps).length === 0) throw new Error(`no iotgw-*.tgz in ${packs}: run npm pack --workspaces --pack-destination ${packs} first`);
  return { name: 'iotgw-install', private: true, type: 'module', dependencies: deps, overrides: deps };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [packs, project, ...flags] = process.argv.slice(2);
  if (!packs || !project) {
    process.stderr.write('usage: node scripts/install-tarballs.mjs <dir-with-tarballs> <project-dir> [npm install flags...]\n');
    process.exit(2);
  }
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(tarballManifest(packs), null, 2)}\n`);
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', ...flags], { cwd: project, stdio: 'inherit' });
  process.exit(npm.status ?? 1);
}
