import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));

// Module hooks (node:module register) run on their own thread: each resolved URL is appended to a
// file synchronously, so nothing is lost when the CLI exits.
const HOOKS = `import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(file, result.url + '\\n');
  return result;
}`;
const REGISTER = (hooks: string, file: string): string =>
  `import { register } from 'node:module'; register(${JSON.stringify(hooks)}, { data: { file: ${JSON.stringify(file)} } });`;

/** The ES modules `iotgw <args>` loads, in order. */
async function modulesLoadedBy(args: readonly string[]): Promise<{ code: number | null; modules: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-cli-startup-'));
  try {
    const hooks = join(dir, 'hooks.mjs');
    const register = join(dir, 'register.mjs');
    const list = join(dir, 'modules.txt');
    await writeFile(hooks, HOOKS);
    await writeFile(register, REGISTER(pathToFileURL(hooks).href, list));
    await writeFile(list, '');
    const child = spawn(process.execPath, ['--import', pathToFileURL(register).href, bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    if (code !== 0) throw new Error(`iotgw ${args.join(' ')} exited ${code}: ${stderr}`);
    return { code, modules: (await readFile(list, 'utf8')).split('\n').filter(Boolean) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// What a command loads only when it runs: every adapter, the use cases, the emulator, the demo.
// The emulator's help text is a module of its own (hub-cli-help.js), light by design.
const HEAVY = /\/packages\/(app|adapters-[\w-]+|hub-emulator\/dist\/src\/(?!hub-cli-help\.js)|simulators|offline-store|link-protocol|stream-link)\/?|\/node_modules\/(mqtt|got|serialport|aedes|modbus-serial|winston|tsyringe|prom-client)\/|\/apps\/gateway\/dist\/src\/(demo|config|device-services|control)\//;
// `iotgw hub --help` is answered by the emulator's own CLI (its parser is the authority on its
// flags), so it loads the emulator, but still none of the gateway's side.
const GATEWAY_SIDE = /\/packages\/(app|adapters-[\w-]+)\/|\/apps\/gateway\/dist\/src\/(demo|config|device-services|control)\//;

for (const args of [['--version'], ['--help'], ['help', 'start'], ['subdevices', 'list', '--help'], ['validate', '--help'], ['hub', '--help']]) {
  test(`iotgw ${args.join(' ')} loads only what it needs (no adapter, no use case${args[0] === 'hub' ? '' : ', no emulator'}, no demo)`, async (t) => {
    const { modules } = await modulesLoadedBy(args);
    // The hook sees the CLI's own modules: a broken hook would pass every run.
    t.true(modules.some((m) => m.endsWith('/apps/gateway/dist/src/cli/main.js')), modules.join('\n'));
    const unwanted = args[0] === 'hub' ? GATEWAY_SIDE : HEAVY;
    t.deepEqual([...new Set(modules.filter((m) => unwanted.test(m)))], []);
  });
}

test('the hook does see what a command runs: iotgw validate on a file loads the adapters', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-cli-startup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const info = join(dir, 'device_info.json');
  await writeFile(info, JSON.stringify({ auth_mode: 'KEY', productId: 'GW00000001', deviceName: 'gw1', key_deviceinfo: { deviceSecret: 'c2VjcmV0S2V5MTIzNDU2Nw==' } }));
  const { modules } = await modulesLoadedBy(['validate', info]);
  t.true(modules.some((m) => /\/packages\/adapters-mqtt\//.test(m)), 'validate loads the adapters to check a config');
});
