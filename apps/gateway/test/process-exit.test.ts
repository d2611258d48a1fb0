import test from 'ava';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SocatPair } from '../src/demo/socat-pair.js';
import { privateDir, processesMentioning, spawnCli } from './helpers/processes.js';

// How the CLI makes sure it ends: a leaked handle, a teardown that hangs after a signal, a socat
// that ignores SIGTERM, a forced exit with socat children still running.

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A stand-in for socat that makes the two links, then ignores SIGTERM (as a stuck socat would). */
async function stubbornSocat(dir: string): Promise<string> {
  const path = join(dir, 'stubborn-socat');
  await writeFile(
    path,
    `#!/bin/sh
trap '' TERM
for a in "$@"; do ln -s /dev/null "\${a##*link=}"; done
while :; do sleep 1; done
`,
  );
  await chmod(path, 0o755);
  return path;
}

test('a command that finished exits even if something leaked a handle, and says so', async (t) => {
  const cli = spawnCli(process.execPath, ['--import', fixture('keep-alive.js'), bin, '--version']);
  const exit = await cli.exitWithin(60_000);
  t.deepEqual(exit, { code: 0, signal: null }, cli.output());
  t.regex(cli.output(), /iotgw: exiting with .*TCPServerWrap.* still open 2 s after the command finished \(please report this\)/);
});

test('after SIGINT a command whose teardown hangs is ended after its stop grace, exit 130', async (t) => {
  const cli = spawnCli(process.execPath, ['--import', fixture('hub-close-hangs.js'), bin, 'hub', '--port', '0', '--http-port', '0']);
  await cli.waitForOutput(/console: http/);
  cli.child.kill('SIGINT');
  const exit = await cli.exitWithin(60_000);
  t.deepEqual(exit, { code: 130, signal: null }, cli.output());
  t.regex(cli.output(), /iotgw: still stopping 2000 ms after SIGINT; exiting now/);
});

test('SocatPair.stop kills a socat that ignores SIGTERM', async (t) => {
  const dir = await privateDir(t, 'iotgw-exit-');
  const pair = new SocatPair(await stubbornSocat(dir), dir, 'stubborn');
  await pair.start();
  // A fork of the script (its `sleep`, before exec) briefly shows the same command line: count settled.
  let running = processesMentioning(join(dir, 'stubborn-gw')).length;
  for (let i = 0; i < 40 && running !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    running = processesMentioning(join(dir, 'stubborn-gw')).length;
  }
  t.is(running, 1);
  await pair.stop();
  t.deepEqual(processesMentioning(join(dir, 'stubborn-gw')), []);
});

test('a process that exits abruptly takes its socat children with it', async (t) => {
  const dir = await privateDir(t, 'iotgw-exit-');
  const cli = spawnCli(process.execPath, [fixture('socat-pair-then-exit.js'), await stubbornSocat(dir), dir]);
  const exit = await cli.exitWithin(60_000);
  t.deepEqual(exit, { code: 0, signal: null }, cli.output());
  t.regex(cli.output(), /started/);
  // SIGKILL is delivered at once, but the kernel may take a moment to tear the process down.
  for (let i = 0; i < 100 && processesMentioning(join(dir, 'abrupt-gw')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(processesMentioning(join(dir, 'abrupt-gw')), []);
});
