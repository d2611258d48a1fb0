import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { spawnCli } from './helpers/processes.js';

// Every shipped package packed into a tarball (`npm pack`, which runs each `prepack` build), installed into
// an empty project outside the monorepo — @iotgw/* only from those tarballs, third-party packages
// from the registry (or npm's cache) — and then used as a user would: `iotgw --version`,
// `iotgw hub`, and the library example of apps/gateway/README.md exactly as written.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const run = promisify(execFile);

interface PackedFile {
  path: string;
}
interface Packed {
  name: string;
  version: string;
  filename: string;
  files: PackedFile[];
}
interface Manifest {
  name: string;
  exports?: Record<string, { types?: string; default?: string }>;
  types?: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  license?: string;
}

/** npm run by a test must not inherit the settings of the npm that runs the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$)/i.test(k)));
}

let dir = '';
let project = '';
let packed: Packed[] = [];
/** Shipped package name → its directory in the monorepo. */
const dirs = new Map<string, string>();

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iotgw-packaging-'));
  project = join(dir, 'project');
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('npm pack builds and packs every shipped (not private) workspace package', async (t) => {
  // The same script the Dockerfile packs with: every workspace not marked private.
  const { stdout } = await run(process.execPath, [join(root, 'scripts/pack.mjs'), dir], {
    cwd: root,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  packed = JSON.parse(stdout) as Packed[];
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string }> };
  const shipped: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!/^(packages|apps)\/[^/]+$/.test(path) || !entry.name) continue;
    const manifest = JSON.parse(await readFile(join(root, path, 'package.json'), 'utf8')) as { private?: boolean };
    if (manifest.private !== true) {
      shipped.push(entry.name);
      dirs.set(entry.name, path);
    }
  }
  t.true(shipped.includes('@iotgw/gateway') && shipped.includes('@iotgw/domain'));
  t.deepEqual(packed.map((p) => p.name).sort(), shipped.sort());
});

test.serial('each tarball holds its LICENSE, README, entry points, types and bins, and no tests or stale output', async (t) => {
  t.true(packed.length > 0, 'nothing was packed');
  for (const p of packed) {
    const files = new Set(p.files.map((f) => f.path));
    const manifest = JSON.parse(await readFile(join(root, dirs.get(p.name) ?? '', 'package.json'), 'utf8')) as Manifest;
    t.true(files.has('LICENSE'), `${p.name}: no LICENSE`);
    t.true(files.has('README.md'), `${p.name}: no README.md`);
    t.is(manifest.license, 'MIT', p.name);
    t.regex(manifest.scripts?.prepack ?? '', /^(tsc -b|npm run build)$/, `${p.name}: a pack from a clean checkout must build first`);
    const targets = [
      ...Object.values(manifest.exports ?? {}).flatMap((e) => [e.types, e.default]),
      manifest.types,
      ...Object.values(manifest.bin ?? {}),
    ].filter((x): x is string => typeof x === 'string');
    t.true(targets.length >= 2, `${p.name}: exports and types expected`);
    for (const target of targets) t.true(files.has(target.replace(/^\.\//, '')), `${p.name}: ${target} is not in the tarball`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (!dep.startsWith('@iotgw/')) continue;
      t.regex(range, /^\^\d+\.\d+\.\d+$/, `${p.name} → ${dep} must be a version range`);
      t.true(dirs.has(dep), `${p.name} depends on ${dep}, which is not shipped (private)`);
    }
    t.false([...files].some((f) => f.startsWith('dist/test/') || f.startsWith('test/')), `${p.name}: tests in the tarball`);
    // Compiled output with no source beside it is left over from a file that no longer exists.
    const stale = [...files].filter((f) => /^dist\/src\/.*\.js$/.test(f) && !files.has(f.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
    t.deepEqual(stale, [], `${p.name}: stale compiled files`);
  }
});

test.serial('the tarballs install into an empty project outside the monorepo, with no @iotgw package from the registry', async (t) => {
  t.true(packed.length > 0, 'nothing was packed');
  await mkdir(project);
  // The same manifest the Dockerfile installs from: dependencies and overrides naming the tarballs,
  // so every @iotgw dependency of a tarball resolves to its tarball, never to a registry.
  const { tarballManifest } = (await import(pathToFileURL(join(root, 'scripts/install-tarballs.mjs')).href)) as {
    tarballManifest: (packs: string) => { dependencies: Record<string, string> };
  };
  const manifest = tarballManifest(dir);
  t.deepEqual(Object.keys(manifest.dependencies).sort(), packed.map((p) => p.name).sort());
  await writeFile(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  // Belt and braces: any lookup of the scope would go to a port where nothing listens.
  await writeFile(join(project, '.npmrc'), '@iotgw:registry=http://127.0.0.1:9/\n');
  const { stdout, stderr } = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'http'], {
    cwd: project,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 900_000,
  });
  const log = `${stdout}\n${stderr}`;
  t.notRegex(log, /GET \S*@iotgw/i, 'an @iotgw package was looked up in a registry');
  t.regex(log, /added \d+ packages/);
});

test.serial('the installed iotgw and iotgw-subdevice print their version', async (t) => {
  const { version } = JSON.parse(await readFile(join(root, 'apps/gateway/package.json'), 'utf8')) as { version: string };
  for (const bin of ['iotgw', 'iotgw-subdevice']) {
    const { stdout } = await run(join(project, 'node_modules/.bin', bin), ['--version'], { cwd: project, env: cleanEnv() });
    t.is(stdout, `${version}\n`, bin);
  }
});

test.serial('the installed iotgw hub starts, says it is ready, and stops on SIGINT', async (t) => {
  const hub = spawnCli(join(project, 'node_modules/.bin/iotgw'), ['hub', '--port', '0', '--http-port', '0'], { env: cleanEnv(), cwd: project });
  await hub.waitForOutput(/console: http:\/\/127\.0\.0\.1:\d+\//);
  hub.child.kill('SIGINT');
  t.deepEqual(await hub.exitWithin(60_000), { code: 0, signal: null }, hub.output());
  t.regex(hub.output(), /stopping hub emulator/);
});

test.serial('the library example of the README runs as written against the installed packages', async (t) => {
  const readme = await readFile(join(root, 'apps/gateway/README.md'), 'utf8');
  const example = /## Example: a gateway put together in code[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) return t.fail('no js example under "Example: a gateway put together in code" in apps/gateway/README.md');
  await writeFile(join(project, 'my-gateway.mjs'), example);
  // In the project directory, as a user would run it (its dataDir is relative).
  const node = spawnCli(process.execPath, ['my-gateway.mjs'], { env: cleanEnv(), cwd: project });
  t.deepEqual(await node.exitWithin(120_000), { code: 0, signal: null }, node.output());
  t.regex(node.output(), /^gateway GW00000001\/gw1: hub connected$/m);
});
