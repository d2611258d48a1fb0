import test from 'ava';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnCli } from './helpers/processes.js';

// The repository's own scripts: `npm start`'s build progress, `npm run iotgw` before a build,
// `npm test`'s closing total.

const root = fileURLToPath(new URL('../../../../', import.meta.url));

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-scripts-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('npm test closes with the grand total; a package with failures has its passes counted one by one', async (t) => {
  const { testTotals } = (await import(pathToFileURL(join(root, 'scripts/test-totals.mjs')).href)) as {
    testTotals: (lines: string[]) => { passed: number; failed: number };
  };
  const lines = [
    '@iotgw/domain:build: > tsc -b',
    '@iotgw/domain:test:   ✔ a › one',
    '@iotgw/domain:test:   ✔ a › two',
    '@iotgw/domain:test:   2 tests passed',
    '@iotgw/app:test:   ✔ b › one',
    '@iotgw/app:test:   ✔ b › two',
    '@iotgw/app:test:   ✔ b › three',
    '@iotgw/app:test:   ✘ [fail]: b › four',
    '@iotgw/app:test:   1 test failed',
    '@iotgw/app:test:   1 uncaught exception',
    '\u001b[36m@iotgw/link-protocol:test: \u001b[0m  1 test passed',
  ];
  t.deepEqual(testTotals(lines), { passed: 6, failed: 2 });
});

test('npm test ends a failing run with what failed: the marks, then each explanation without code or stack', async (t) => {
  const { testFailures } = (await import(pathToFileURL(join(root, 'scripts/test-totals.mjs')).href)) as {
    testFailures: (lines: string[]) => string[];
  };
  const p = '@iotgw/app:test: ';
  const lines = [
    `${p}  ✔ b › one`,
    `${p}  ✘ [fail]: b › two the sums differ`,
    `${p}  ✘ Timed out while running tests`,
    `${p}  1 tests were pending in dist/test/c.test.js`,
    `${p}  ◌ c › hangs`,
    `${p}  ─`,
    `${p}  b › two`,
    `${p}  dist/test/b.test.js:3`,
    `${p}   3: t.is(sum, 3, 'the sums differ')`,
    `${p}  the sums differ`,
    `${p}  › file://dist/test/b.test.js:3:5`,
    `${p}      at Test.callFn (file:///x/ava/lib/test.js:525:26)`,
    `${p}  ─`,
    `${p}  1 test failed`,
  ];
  t.deepEqual(testFailures(lines), [
    'failures:',
    '  @iotgw/app: ✘ [fail]: b › two the sums differ',
    '  @iotgw/app: ✘ Timed out while running tests',
    '  @iotgw/app: 1 tests were pending in dist/test/c.test.js',
    '  @iotgw/app: ◌ c › hangs',
    'details (@iotgw/app):',
    '  b › two',
    '    dist/test/b.test.js:3',
    '    the sums differ',
  ]);
  t.deepEqual(testFailures([`${p}  ✔ b › one`, `${p}  1 test passed`]), []);
});

test('npm run iotgw before a build says to build first: exit 2, no stack trace', async (t) => {
  const dir = await tempDir(t);
  await cp(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
  const cli = spawnCli(process.execPath, [join(dir, 'scripts/iotgw.mjs'), '--help']);
  const exit = await cli.exitWithin(60_000);
  t.deepEqual(exit, { code: 2, signal: null });
  t.is(cli.output(), 'iotgw is not built yet: run "npm run build" first (or "npm start", which builds and runs the demo)\n');
});

/** Two tiny TypeScript projects, b referencing a, with the repository's TypeScript. */
async function tinyProjects(dir: string, bSource: string): Promise<void> {
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  // No @types and no lib check: the point is the progress lines, not compiling much.
  const compilerOptions = { composite: true, outDir: 'dist', rootDir: 'src', module: 'NodeNext', target: 'ES2022', strict: true, types: [], skipLibCheck: true };
  for (const [name, source, references] of [
    ['a', 'export const a = 1;\n', []],
    ['b', bSource, [{ path: '../a' }]],
  ] as const) {
    await mkdir(join(dir, name, 'src'), { recursive: true });
    await writeFile(join(dir, name, 'src', 'index.ts'), source);
    await writeFile(join(dir, name, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'], references }));
  }
}

const build = (dir: string, project: string): ReturnType<typeof spawnCli> =>
  spawnCli(process.execPath, [
    '--input-type=module',
    '-e',
    `const { buildWithProgress } = await import(${JSON.stringify(pathToFileURL(join(root, 'scripts/build-progress.mjs')).href)}); await buildWithProgress(${JSON.stringify(dir)}, ${JSON.stringify(project)});`,
  ]);

test('the build behind npm start prints a line per project as it compiles, then the total', async (t) => {
  const dir = await tempDir(t);
  await tinyProjects(dir, 'export const b: number = 2;\n');
  const first = build(dir, 'b');
  t.deepEqual(await first.exitWithin(120_000), { code: 0, signal: null }, first.output());
  t.regex(first.output(), /^ {2}\[1\/2\] [\d.]+ s {2}compiling a$/m);
  t.regex(first.output(), /^ {2}\[2\/2\] [\d.]+ s {2}compiling b$/m);
  t.regex(first.output(), /^ {2}built 2 project\(s\) in [\d.]+ s$/m);
  const again = build(dir, 'b');
  t.deepEqual(await again.exitWithin(120_000), { code: 0, signal: null }, again.output());
  t.regex(again.output(), /^ {2}up to date \([\d.]+ s\)$/m);
});

test('a failing build shows the compiler errors and says so', async (t) => {
  const dir = await tempDir(t);
  await tinyProjects(dir, 'export const b: number = "two";\n');
  const cli = build(dir, 'b');
  const exit = await cli.exitWithin(120_000);
  t.not(exit, 'timeout');
  if (exit !== 'timeout') t.not(exit.code, 0);
  t.regex(cli.output(), /b\/src\/index\.ts\(1,14\): error TS2322/);
  t.regex(cli.output(), /the build failed \(tsc exit \d+\); fix the errors above and run it again/);
});
