import test, { type ExecutionContext } from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@iotgw/domain';
import { bundledAdapters, loadGatewayConfig, loadPlugins, runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';

// A plugin as a user writes it in plain JavaScript: a hand-written Standard Schema, no zod.
const DESCRIPTOR = `
const options = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => (typeof v.port === 'number' ? { value: { port: v.port, subdevices: v.subdevices ?? [] } } : { issues: [{ message: 'must be the TCP port, e.g. 7000', path: ['port'] }] }),
  },
};
const descriptor = (name) => ({
  kind: 'link',
  name,
  summary: 'a test link',
  options,
  subdevicesOf: (o) => o.subdevices.map((s) => ({ productId: s.split('/')[0], deviceName: s.split('/')[1] })),
  create: () => { throw new Error('not built in these tests'); },
});
`;

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-plugins-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function problem(t: ExecutionContext, dir: string, specs: string[]): Promise<string> {
  const error = await t.throwsAsync(loadPlugins(specs, dir, bundledAdapters), { instanceOf: ConfigError });
  t.notRegex(error?.message ?? '', /\n\s+at /, 'no stack trace');
  return error?.message ?? '';
}

test('a local file exporting a default descriptor, and a package directory exporting "adapters", both load', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'local.js'), `${DESCRIPTOR}\nexport default descriptor('local-link');\n`);
  await mkdir(join(dir, 'pkg', 'dist'), { recursive: true });
  await writeFile(join(dir, 'pkg', 'package.json'), JSON.stringify({ name: 'pkg', type: 'module', exports: { '.': { types: './x.d.ts', default: './dist/index.js' } } }));
  await writeFile(join(dir, 'pkg', 'dist', 'index.js'), `${DESCRIPTOR}\nexport const adapters = [descriptor('pkg-a'), descriptor('pkg-b')];\n`);
  const loaded = await loadPlugins(['./local.js', './pkg'], dir, bundledAdapters);
  t.deepEqual(loaded.map((d) => d.name), ['local-link', 'pkg-a', 'pkg-b']);
});

test('an npm package is found in node_modules from the config directory upwards', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'node_modules', 'iotgw-plugin-x'), { recursive: true });
  await writeFile(join(dir, 'node_modules', 'iotgw-plugin-x', 'package.json'), JSON.stringify({ name: 'iotgw-plugin-x', type: 'module', main: 'main.js' }));
  await writeFile(join(dir, 'node_modules', 'iotgw-plugin-x', 'main.js'), `${DESCRIPTOR}\nexport default [descriptor('x-link')];\n`);
  await mkdir(join(dir, 'site', 'configs'), { recursive: true });
  const loaded = await loadPlugins(['iotgw-plugin-x'], join(dir, 'site', 'configs'), bundledAdapters);
  t.deepEqual(loaded.map((d) => d.name), ['x-link']);
});

test('each broken plugin is a ConfigError on plugins.N naming the plugin and the problem, without a stack trace', async (t) => {
  const dir = await tempDir(t);
  t.regex(await problem(t, dir, ['./missing.js']), /^plugins\.0: plugin "\.\/missing\.js": .*missing\.js does not exist: paths are relative to the config file's directory/);
  t.regex(await problem(t, dir, ['iotgw-no-such-plugin']), /plugin "iotgw-no-such-plugin": no package of that name is installed .*npm install iotgw-no-such-plugin/);
  await writeFile(join(dir, 'empty.js'), 'export const something = 1;\n');
  t.regex(await problem(t, dir, ['./empty.js']), /plugin "\.\/empty\.js": .*exports no adapter: export "adapters"/);
  await writeFile(join(dir, 'no-create.js'), `${DESCRIPTOR}\nexport default { ...descriptor('half'), create: undefined };\n`);
  t.regex(await problem(t, dir, ['./no-create.js']), /plugin "\.\/no-create\.js": adapters\[0\] \(link adapter "half"\) has no create function/);
  await writeFile(join(dir, 'bad-kind.js'), `${DESCRIPTOR}\nexport default { ...descriptor('x'), kind: 'radio' };\n`);
  t.regex(await problem(t, dir, ['./bad-kind.js']), /adapters\[0\] has kind "radio": must be "hub", "firmware" or "link"/);
  await writeFile(join(dir, 'no-schema.js'), `${DESCRIPTOR}\nexport default { ...descriptor('x'), options: {} };\n`);
  t.regex(await problem(t, dir, ['./no-schema.js']), /has no options schema: "options" must be a Standard Schema/);
  await writeFile(join(dir, 'throws.js'), `throw new Error('the plugin blew up');\n`);
  t.regex(await problem(t, dir, ['./throws.js']), /plugin "\.\/throws\.js": loading .*throws\.js failed: the plugin blew up/);
  await writeFile(join(dir, 'serial.js'), `${DESCRIPTOR}\nexport default descriptor('serial');\n`);
  t.regex(await problem(t, dir, ['./serial.js']), /plugin "\.\/serial\.js": its link adapter "serial" has the name of a bundled adapter: give it a name of its own/);
  await writeFile(join(dir, 'twice.js'), `${DESCRIPTOR}\nexport default descriptor('mine');\n`);
  t.regex(await problem(t, dir, ['./twice.js', './twice.js']), /^plugins\.1: .*"mine" has the name of an adapter of plugin "\.\/twice\.js"/);
});

test('a config naming a plugin\'s adapter is checked by that adapter\'s schema; without the plugin the name is unknown', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'local.js'), `${DESCRIPTOR}\nexport default descriptor('tcp-test');\n`);
  const config = join(dir, 'iotgw.json');
  const text = (plugins: string[], link: object): string => JSON.stringify({ plugins, links: [{ adapter: 'tcp-test', ...link }] });
  const { config: parsed, registry } = await loadGatewayConfig(text(['./local.js'], { port: 7000 }), config);
  t.like(parsed.links[0], { adapter: 'tcp-test', port: 7000 });
  t.deepEqual(registry.names('link'), ['ble', 'modbus', 'serial', 'tcp-test']);
  const bad = await t.throwsAsync(loadGatewayConfig(text(['./local.js'], { port: 'x' }), config), { instanceOf: ConfigError });
  t.regex(bad?.message ?? '', /iotgw\.json: links\.0\.port: must be the TCP port, e\.g\. 7000/);
  const unknown = await t.throwsAsync(loadGatewayConfig(text([], { port: 7000 }), config), { instanceOf: ConfigError });
  t.regex(unknown?.message ?? '', /links\.0\.adapter: unknown link adapter "tcp-test": known link adapters are "ble", "modbus", "serial"; .*"plugins"/);
});

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

test('iotgw validate loads the plugins and reports their option errors and their problems like any other', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'local.js'), `${DESCRIPTOR}\nexport default descriptor('tcp-test');\n`);
  const write = (config: object): Promise<void> => writeFile(join(dir, 'iotgw.json'), JSON.stringify({ dataDir: join(dir, 'data'), ...config }));
  await write({ plugins: ['./local.js'], links: [{ adapter: 'tcp-test', port: 'x' }] });
  const bad = capture();
  t.is(await runCli(['validate', '--config', join(dir, 'iotgw.json')], bad), 2);
  t.regex(bad.stderr.join('\n'), /iotgw\.json: links\.0\.port: must be the TCP port, e\.g\. 7000/);
  await write({ plugins: ['./nope.js'] });
  const missing = capture();
  t.is(await runCli(['validate', '--config', join(dir, 'iotgw.json')], missing), 2);
  t.regex(missing.stderr.join('\n'), /plugins\.0: plugin "\.\/nope\.js": .*does not exist/);
  await write({ plugins: ['./local.js'], links: [{ adapter: 'tcp-test', port: 7000 }] });
  const ok = capture();
  t.is(await runCli(['validate', '--config', join(dir, 'iotgw.json')], ok), 0, ok.stderr.join('\n'));
  t.regex(ok.stdout.join('\n'), /iotgw\.json: ok — hub mqtt, 1 link\(s\)/);
});
