/*
 * Every code sample in every README of the repository is real code:
 * - a ```ts block compiles (strict, NodeNext, against the built workspace packages), each as its
 *   own module; errors name the README and the line in it;
 * - a ```ts excerpt block starts with `// from <path>` and every line of it is a line of that
 *   file (which is compiled and tested where it lives); `// ...` marks what the excerpt skips.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

interface Sample {
  readonly excerpt: boolean;
  readonly readme: string;
  /** Line of the block's first code line in the README (1-based). */
  readonly line: number;
  readonly code: string;
}

function readmes(): string[] {
  const found = ['README.md', 'CONTRIBUTING.md'].map((f) => join(repo, f));
  for (const group of ['packages', 'apps', 'examples']) {
    for (const entry of readdirSync(join(repo, group))) found.push(join(repo, group, entry, 'README.md'));
  }
  return found.filter((f) => existsSync(f));
}

function samples(file: string): Sample[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|typescript)( excerpt)?\s*$/.exec(lines[i] ?? '');
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
    out.push({ excerpt: fence[2] !== undefined, readme: relative(repo, file), line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

test('every ```ts excerpt block of every README is made of lines of the tested file it names', (t) => {
  const excerpts = readmes().flatMap(samples).filter((s) => s.excerpt);
  t.true(excerpts.length > 0);
  for (const sample of excerpts) {
    const [first = '', ...rest] = sample.code.split('\n');
    const source = /^\/\/ from (\S+)$/.exec(first.trim())?.[1];
    if (!source || !existsSync(join(repo, source))) {
      t.fail(`${sample.readme}:${sample.line}: an excerpt must start with "// from <path of an existing file>", not ${JSON.stringify(first)}`);
      continue;
    }
    const lines = new Set(readFileSync(join(repo, source), 'utf8').split('\n').map((l) => l.trim()));
    rest.forEach((line, i) => {
      const code = line.trim();
      if (code === '' || code === '// ...') return;
      t.true(lines.has(code), `${sample.readme}:${sample.line + 1 + i}: not a line of ${source}: ${code}`);
    });
  }
});

test('every ```ts block of every README type-checks against the workspace packages', async (t) => {
  const all = readmes().flatMap(samples).filter((s) => !s.excerpt);
  t.true(all.length >= 10, `found only ${all.length} samples: is the extraction broken?`);
  // Inside the repository, so the samples resolve @iotgw/* and zod as a user's project would.
  const dir = await mkdtemp(join(repo, '.e2e-readme-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const names = new Map<string, Sample>();
  for (const [i, sample] of all.entries()) {
    const name = `sample-${i}.ts`;
    names.set(name, sample);
    // `export {}` makes each block a module of its own (top-level await, no shared names).
    await writeFile(join(dir, name), `${sample.code}\nexport {};\n`);
  }
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'DOM'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
      include: ['*.ts'],
    }),
  );
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const tsc = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  // Point each error at the README line it comes from.
  const report = `${tsc.stdout}${tsc.stderr}`.replace(/\S*(sample-\d+\.ts)\((\d+),(\d+)\)/g, (_, name: string, line: string, col: string) => {
    const sample = names.get(name);
    return sample ? `${sample.readme}:${sample.line + Number(line) - 1}:${col}` : `${name}(${line},${col})`;
  });
  t.is(tsc.status, 0, report);
  t.log(`${all.length} samples from ${new Set(all.map((s) => s.readme)).size} READMEs type-checked`);
});
