import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVICE_NODE_OPTIONS } from '@iotgw/testkit/mosquitto';

// "Run it anywhere": the Dockerfile and the systemd unit. A cheap structural check always runs;
// the image is built where a docker engine answers, the unit linted where systemd-analyze exists.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const run = promisify(execFile);

/** Why a tool cannot be used here, or undefined when it can. */
function unavailable(command: string, args: string[]): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `${command} is not installed (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})`;
  if (probe.status !== 0) return `${command} ${args.join(' ')} failed: ${(probe.stderr || probe.stdout).trim().split('\n').slice(-1)[0] ?? ''}`;
  return undefined;
}

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

function stagesOf(dockerfile: string): Stage[] {
  const stages: Stage[] = [];
  // Continuation lines belong to the instruction above them.
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1] ?? '', ...(from[2] ? { name: from[2] } : {}), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

test('Dockerfile: multi-stage on node:20-slim; the runtime runs iotgw start as a non-root user with a /data volume', async (t) => {
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  const stages = stagesOf(dockerfile);
  t.true(stages.length >= 2, 'multi-stage expected');
  for (const s of stages) t.regex(s.from, /^node:20-slim$/, `stage ${s.name ?? '?'} is not on node:20-slim`);
  const runtime = stages.at(-1);
  if (!runtime) return;
  const users = runtime.lines.filter((l) => /^USER\s/i.test(l));
  t.is(users.length, 1, 'the runtime stage sets USER once');
  t.notRegex(users[0] ?? '', /^USER\s+(root|0)(:|\s|$)/i, 'the runtime must not run as root');
  t.true(runtime.lines.includes('ENTRYPOINT ["iotgw", "start"]'), 'ENTRYPOINT ["iotgw", "start"] expected');
  t.true(runtime.lines.some((l) => /^VOLUME\s+(\/data|\["\/data"\])$/.test(l)), 'VOLUME /data expected');
  t.true(runtime.lines.some((l) => /^HEALTHCHECK\s/.test(l)), 'a HEALTHCHECK on the control endpoint expected');
  // The runtime copies the installed product only, never the build tree.
  t.false(runtime.lines.some((l) => /^COPY\s+(?!--from=)/.test(l)), 'the runtime stage copies from other stages only');
  // What the build copies by path exists; serial pass-through is documented where users look.
  t.true(existsSync(join(root, 'scripts/install-tarballs.mjs')));
  t.regex(dockerfile, /--device \/dev\/ttyUSB0/);
  t.regex((await readFile(join(root, 'README.md'), 'utf8')).replace(/\\\n/g, ' '), /docker run [^\n]*--device/);
});

const dockerMissing = unavailable('docker', ['info', '--format', '{{.ServerVersion}}']);
if (dockerMissing) {
  test.skip(`docker build of the image and iotgw --version in it (skipped: ${dockerMissing})`, () => {});
} else {
  test.serial('docker build makes an image whose iotgw runs, as a non-root user', async (t) => {
    const tag = `iotgw-test:${process.pid}`;
    t.teardown(() => void spawnSync('docker', ['rmi', '-f', tag]));
    await run('docker', ['build', '-t', tag, root], { timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024 });
    const { version } = JSON.parse(await readFile(join(root, 'apps/gateway/package.json'), 'utf8')) as { version: string };
    const { stdout } = await run('docker', ['run', '--rm', '--entrypoint', 'iotgw', tag, '--version']);
    t.is(stdout.trim(), version);
    const id = await run('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u']);
    t.not(id.stdout.trim(), '0');
  });
}

const UNIT = join(root, 'deploy/systemd/iotgw.service');

function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? '';
      continue;
    }
    const [key = '', ...value] = line.split('=');
    const name = `${section}.${key.trim()}`;
    keys.set(name, [...(keys.get(name) ?? []), value.join('=').trim()]);
  }
  return keys;
}

/**
 * The assignments of an Environment= value as systemd reads them: separated by spaces, a double-
 * quoted stretch kept whole and unquoted (`"A=x y" B=z` is two assignments).
 */
function environmentAssignments(values: readonly string[]): string[] {
  return values.flatMap((value) => [...value.matchAll(/(?:"[^"]*"|[^\s"])+/g)].map((m) => m[0].replace(/"/g, '')));
}

test('systemd unit: restart policy, no fixed root account, dialout, a writable state dir, hardening', async (t) => {
  const keys = unitKeys(await readFile(UNIT, 'utf8'));
  const one = (key: string): string => keys.get(key)?.[0] ?? '';
  t.regex(one('Service.ExecStart'), /\biotgw start --device-info \S+ --config \S+/);
  t.regex(one('Service.Restart'), /^(on-failure|always|on-abnormal)$/);
  t.true(one('Service.DynamicUser') === 'yes' || (one('Service.User') !== '' && one('Service.User') !== 'root'), 'DynamicUser=yes or a dedicated User=');
  t.regex(one('Service.SupplementaryGroups'), /\bdialout\b/);
  const state = one('Service.StateDirectory');
  t.not(state, '');
  t.true((keys.get('Service.ReadWritePaths') ?? []).some((p) => p.split(/\s+/).includes(`/var/lib/${state}`)), 'ReadWritePaths names the state dir');
  t.is(one('Service.WorkingDirectory'), `/var/lib/${state}`, 'the default dataDir ./.iotgw lands in the state dir');
  for (const [key, value] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['DevicePolicy', 'closed'],
  ] as const) {
    t.is(one(`Service.${key}`), value, key);
  }
  t.true((keys.get('Service.DeviceAllow') ?? []).some((d) => d.startsWith('char-ttyUSB')), 'USB serial adapters allowed');
  t.not(one('Service.TimeoutStopSec'), '', 'a stop timeout longer than the gateway needs to flush');
  t.is(one('Install.WantedBy'), 'multi-user.target');
});

// The heap flags the benches measure the product with are the ones it ships with, and Node takes them.
test('the unit and the image run node with the heap sized for a gateway, and node accepts it in NODE_OPTIONS', async (t) => {
  const keys = unitKeys(await readFile(UNIT, 'utf8'));
  const assignments = environmentAssignments(keys.get('Service.Environment') ?? []);
  t.deepEqual(assignments.filter((e) => e.startsWith('NODE_OPTIONS=')), [`NODE_OPTIONS=${SERVICE_NODE_OPTIONS}`]);
  const runtime = stagesOf(await readFile(join(root, 'Dockerfile'), 'utf8')).at(-1);
  const env = (runtime?.lines ?? []).filter((l) => /^ENV\s/.test(l)).join(' ');
  const value = SERVICE_NODE_OPTIONS.includes(' ') ? `"${SERVICE_NODE_OPTIONS}"` : SERVICE_NODE_OPTIONS;
  t.true(env.split(/\s+(?=[A-Z_]+=)/).includes(`NODE_OPTIONS=${value}`), `ENV NODE_OPTIONS=${value} expected in the runtime stage`);
  // Node refuses a flag it does not allow in NODE_OPTIONS (exit 9): the service would not start.
  const { stdout } = await run(process.execPath, ['-p', 'require("node:v8").getHeapStatistics().heap_size_limit'], { env: { ...process.env, NODE_OPTIONS: SERVICE_NODE_OPTIONS } });
  const limitMB = Number(stdout) / 2 ** 20;
  t.true(limitMB >= 256 && limitMB < 320, `heap limit ${limitMB.toFixed(0)} MB with ${SERVICE_NODE_OPTIONS}`);
});

const analyzeMissing = unavailable('systemd-analyze', ['--version']);
if (analyzeMissing) {
  test.skip(`systemd-analyze verify of the unit (skipped: ${analyzeMissing})`, () => {});
} else {
  test('systemd-analyze verify finds nothing to say about the unit; its offline security exposure stays low', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'iotgw-unit-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    // verify checks that ExecStart's program exists: point it at a stand-in.
    const stub = join(dir, 'iotgw');
    await writeFile(stub, '#!/bin/sh\n');
    await chmod(stub, 0o755);
    const unit = (await readFile(UNIT, 'utf8')).replace('/opt/iotgw/node_modules/.bin/iotgw', stub);
    t.not(unit, await readFile(UNIT, 'utf8'), 'ExecStart moved: update this test');
    const verify = async (text: string): Promise<string> => {
      await writeFile(join(dir, 'iotgw.service'), text);
      const res = spawnSync('systemd-analyze', ['verify', join(dir, 'iotgw.service')], { encoding: 'utf8', timeout: 60_000 });
      return `${res.status === 0 ? '' : `exit ${res.status}\n`}${res.stderr}${res.stdout}`.trim();
    };
    t.is(await verify(unit), '');
    // The check must be able to fail: an unknown key is reported.
    t.regex(await verify(unit.replace('[Service]', '[Service]\nNoSuchKey=1')), /Unknown key 'NoSuchKey'/);
    await writeFile(join(dir, 'iotgw.service'), unit);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', join(dir, 'iotgw.service')], { encoding: 'utf8', timeout: 60_000 });
    const exposure = /Overall exposure level for iotgw\.service: ([\d.]+)/.exec(security.stdout)?.[1];
    if (exposure === undefined) return t.log(`systemd-analyze security --offline is not supported here: ${security.stderr.trim()}`);
    t.true(Number(exposure) <= 2.5, `exposure ${exposure} (0 best, 10 worst)`);
  });
}
