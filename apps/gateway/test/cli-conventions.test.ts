import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli, type CliOutput } from '../src/index.js';
import '../src/cli/commands.js';

function capture(): CliOutput & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const bin = fileURLToPath(new URL('../src/bin/iotgw.js', import.meta.url));
const run = promisify(execFile);

test('a bare iotgw is a usage error: the help on stderr, nothing on stdout, exit 2', async (t) => {
  const error = (await run(process.execPath, [bin]).then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: number; stdout?: string; stderr?: string } | undefined;
  t.is(error?.code, 2);
  t.is(error?.stdout, '');
  t.regex(error?.stderr ?? '', /^Usage: iotgw \[options\] \[command\]/);
  t.regex(error?.stderr ?? '', /^\s+start \[options\]/m);
});

test('-V and --version print the version on stdout and exit 0', async (t) => {
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['-V', '--version']) {
    const { stdout, stderr } = await run(process.execPath, [bin, flag]);
    t.is(stdout, `${version}\n`, flag);
    t.is(stderr, '', flag);
  }
});

// Each command's own help, on stdout, exit 0, naming its own usage and listing its options.
const HELP: Array<[string[], RegExp, RegExp[]]> = [
  [['start', '--help'], /^Usage: iotgw start \[options\]/, [/--device-info <file>/, /--config <file>/]],
  [['validate', '--help'], /^Usage: iotgw validate \[options\] \[files\.\.\.\]/, [/--device-info <file>/, /--config <file>/, /-h, --help/]],
  [['demo', '--help'], /^Usage: iotgw demo \[options\]/, [/--keep-running/, /--memory/, /--broker <url>/]],
  [['hub', '--help'], /^Usage: iotgw hub \[options\]/, [/--http-port/, /--registry/]],
  [['help', 'hub'], /^Usage: iotgw hub \[options\]/, [/--http-port/]],
  [['subdevices', '--help'], /^Usage: iotgw subdevices <operation> \[options\]/, [/^\s+list \[options\]/m, /^\s+bind \[options\] <subdevice\.\.\.>/m]],
  [['subdevices', 'list', '--help'], /^Usage: iotgw subdevices list \[options\]/, [/--port <n>/, /--json/]],
  [['ota', '--help'], /^Usage: iotgw ota <operation> \[options\]/, [/^\s+status \[options\]/m]],
  [['ota', 'status', '--help'], /^Usage: iotgw ota status \[options\]/, [/--port <n>/, /--json/]],
];
for (const [args, usage, lines] of HELP) {
  test(`iotgw ${args.join(' ')} prints that command's own help on stdout, exit 0`, async (t) => {
    const io = capture();
    t.is(await runCli(args, io), 0);
    const out = io.stdout.join('\n');
    t.regex(out, usage);
    for (const line of lines) t.regex(out, line);
    t.deepEqual(io.stderr, []);
    if (args[0] === 'ota') t.notRegex(out, /subdevices/, 'ota --help must not be the subdevices help');
  });
}

// Usage errors: one line on stderr naming the command, then its help; exit 2, nothing on stdout.
const ERRORS: Array<[string[], RegExp]> = [
  [['start', '--device-info', 'x.json', '--nope'], /^iotgw start: unknown option '--nope'$/],
  [['start'], /^iotgw start: required option '--device-info <file>' not specified$/],
  // A bad flag is named before the missing one; a file given without its flag gets the command that would use it.
  [['start', '--nope'], /^iotgw start: unknown option '--nope'$/],
  [['start', 'device_info.json'], /^iotgw start: required option '--device-info <file>' not specified \(to start from device_info\.json: iotgw start --device-info device_info\.json\)$/],
  [['start', '--device-info', 'x.json', 'iotgw.json'], /^iotgw start: unexpected argument 'iotgw\.json': files are given with --device-info and --config$/],
  [['demo', '--broker', 'localhost'], /^iotgw demo: option '--broker <url>' argument 'localhost' is invalid\. must be mqtt:\/\/host:port$/],
  [['validate'], /^iotgw validate: name at least one file/],
  [['validate', '--nope'], /^iotgw validate: unknown option '--nope'$/],
  [['hub', '--nope'], /^iotgw hub: unknown option '--nope'/],
  [['hub', '--port'], /^iotgw hub: option '--port <value>' argument missing\n/],
  [['subdevices', 'list', '--port', 'x'], /^iotgw subdevices list: option '--port <n>' argument 'x' is invalid\. must be a port number 1\.\.65535$/],
  [['subdevices', 'bind'], /^iotgw subdevices bind: missing required argument 'subdevice'$/],
  [['ota'], /^iotgw ota: name an operation: status$/],
  [['ota', 'status', '--nope'], /^iotgw ota status: unknown option '--nope'$/],
  [['frobnicate'], /^iotgw: unknown command 'frobnicate'$/],
];
for (const [args, message] of ERRORS) {
  test(`iotgw ${args.join(' ')}: the error on stderr with the command's prefix, exit 2`, async (t) => {
    const io = capture();
    t.is(await runCli(args, io), 2);
    t.regex(io.stderr[0] ?? '', message);
    t.regex(io.stderr.join('\n'), /Usage: iotgw/);
    t.notRegex(io.stderr.join('\n'), /^\s+at .+:\d+:\d+\)?$/m, 'a stack trace');
    t.deepEqual(io.stdout, []);
  });
}
