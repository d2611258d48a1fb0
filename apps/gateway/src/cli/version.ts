import { readFileSync } from 'node:fs';

/** The version of this package, from its package.json (compiled to dist/src/cli, three levels down). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
