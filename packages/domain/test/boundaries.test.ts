import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The domain imports no library and does no I/O (architecture.md). Compiled tests live in
// dist/test, so the package root is two levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = join(root, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

// import/export ... from '...', import '...', dynamic import('...'), require('...').
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

test('the domain sources exist (the scan below is not vacuous)', (t) => {
  t.true(tsFiles(srcDir).length >= 10);
});

test('no domain source imports anything outside packages/domain/src', (t) => {
  const offenders: string[] = [];
  for (const file of tsFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = match[1]!;
      const where = relative(root, file);
      if (!spec.startsWith('.')) {
        offenders.push(`${where}: "${spec}" is a bare or node: specifier`);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcDir + '/')) offenders.push(`${where}: "${spec}" leaves src`);
    }
  }
  t.deepEqual(offenders, []);
});

test('the scanner itself recognises the import forms it forbids', (t) => {
  const sample = `import x from 'lib';\nexport * from "node:fs";\nimport 'side-effect';\nconst m = await import('dyn');\nrequire('cjs');`;
  t.deepEqual(
    [...sample.matchAll(SPECIFIER)].map((m) => m[1]),
    ['lib', 'node:fs', 'side-effect', 'dyn', 'cjs'],
  );
});

test('packages/domain/package.json declares no dependencies of any kind', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
    const value = pkg[field];
    t.true(value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0), field);
  }
});
