import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The testkit is for tests: no package of the product may need it at run time (it peers on ava).
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');

test('no package names @iotgw/testkit in its dependencies (devDependencies only)', (t) => {
  const manifests = ['packages', 'apps'].flatMap((dir) =>
    readdirSync(join(root, dir))
      .map((name) => join(root, dir, name, 'package.json'))
      .filter((path) => existsSync(path)),
  );
  t.true(manifests.length >= 10, `found ${manifests.length} packages under ${root}`);
  for (const path of manifests) {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    t.false('@iotgw/testkit' in (manifest.dependencies ?? {}), `${manifest.name} depends on @iotgw/testkit at run time`);
    t.false('@iotgw/testkit' in (manifest.optionalDependencies ?? {}), `${manifest.name}`);
  }
});
