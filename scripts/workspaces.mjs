// The workspace directories of the root package.json, relative to the root, in its order.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every directory a "workspaces" pattern names that holds a package.json (the root uses "dir/*" patterns only). */
export function workspaceDirs(root) {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    const abs = join(root, base);
    for (const entry of existsSync(abs) ? readdirSync(abs).sort() : []) {
      if (existsSync(join(abs, entry, 'package.json'))) dirs.push(`${base}/${entry}`);
    }
  }
  return dirs;
}
