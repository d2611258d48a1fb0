import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateDir, processesIn, spawnCli } from './helpers/processes.js';

// examples/by-hand/README.md is a walkthrough to paste into a shell. This runs its ```sh blocks,
// in order, exactly as written: only the ports (free ones instead of 1883, 8080, 7380) and the
// scratch directory are changed, in the commands and in the example files alike.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const example = join(root, 'examples/by-hand');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function missingTools(): string[] {
  return ['socat', 'curl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

test.serial('the by-hand walkthrough runs as written: hub, pty cable, subdevice, gateway, bind, data both ways, firmware update with curl, stop', async (t) => {
  const missing = missingTools();
  if (missing.length > 0) {
    if (process.env.CI === 'true') return t.fail(`${missing.join(', ')} required under CI`);
    t.log(`${missing.join(', ')} not installed: the walkthrough is not run`);
    return t.pass();
  }
  const readme = await readFile(join(example, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
  t.true(blocks.length >= 6, `expected the walkthrough's sh blocks, found ${blocks.length}`);

  const dir = await privateDir(t, 'iotgw-by-hand-');
  const ports = new Map([
    ['1883', String(await freePort())],
    ['8080', String(await freePort())],
    ['7380', String(await freePort())],
  ]);
  const freePorts = (text: string): string => text.replace(/\b(1883|8080|7380)\b/g, (p) => ports.get(p) ?? p);
  await mkdir(join(dir, 'example'));
  for (const file of (await readdir(example)).filter((f) => f.endsWith('.json'))) {
    await writeFile(join(dir, 'example', file), freePorts(await readFile(join(example, file), 'utf8')));
  }
  const script = blocks.join('\n');
  for (const port of ports.keys()) t.true(script.includes(port), `the walkthrough no longer uses port ${port}: update this test`);
  t.true(script.includes('examples/by-hand/') && script.includes('/tmp/iotgw-by-hand'), 'the walkthrough moved its files: update this test');
  // One pass, so a replacement is never replaced again.
  const runnable = freePorts(script).replace(/examples\/by-hand\/|\/tmp\/iotgw-by-hand/g, (m) => (m === '/tmp/iotgw-by-hand' ? `${dir}/work` : `${dir}/example/`));

  // From the repository root, as the walkthrough says; -e: a failing step fails the walkthrough.
  // Its own process group: whatever it left running goes with it, even if it failed half way.
  const shell = spawnCli('bash', ['-euo', 'pipefail', '-x', '-c', runnable], { cwd: root, group: true });
  t.teardown(() => shell.killGroup());
  const exit = await shell.exitWithin(400_000);
  const out = shell.output();
  t.deepEqual(exit, { code: 0, signal: null }, out);
  t.regex(out, /^SB00000001\/sensor1\s+online\s+serial:sensor1\s+1\.1\.0\s+-\s+\d+$/m, 'sensor1 online on its serial link, running 1.1.0');
  t.regex(out, /"state":"done","percent":100/, 'the emulator has the firmware job done');
  t.regex(out, /iotgw: stopped/);
  t.deepEqual(processesIn(dir), [], 'the walkthrough left processes running');
});
