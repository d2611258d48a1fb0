import { isGatewayError } from '@iotgw/domain';
import { EXIT, processOutput, type CliOutput, type ExitCode } from './output.js';
import { validateCommand, validateHelp } from './validate-command.js';
import { packageVersion } from './version.js';

export interface CommandContext {
  readonly io: CliOutput;
  readonly signal: AbortSignal;
}

export type Command = (args: readonly string[], ctx: CommandContext) => Promise<ExitCode>;

/** Commands other packages plug in (hub, demo, start...) are registered by name. */
const commands = new Map<string, { summary: string; run: Command }>([
  ['validate', { summary: 'check device_info.json and iotgw config files', run: (args, ctx) => validateCommand(args, ctx.io) }],
]);

export function registerCommand(name: string, summary: string, run: Command): void {
  commands.set(name, { summary, run });
}

export function usage(): string {
  const rows = [...commands.entries()].map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`).join('\n');
  return `Usage: iotgw <command> [options]\n       iotgw --version\n\nCommands:\n${rows}\n\nRun "iotgw <command> --help" for a command's options.`;
}

export async function runCli(argv: readonly string[], io: CliOutput = processOutput, signal: AbortSignal = new AbortController().signal): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.out(packageVersion());
    return EXIT.ok;
  }
  const command = commands.get(name);
  if (!command) {
    io.err(`iotgw: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  if (name === 'validate' && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(validateHelp);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, { io, signal });
  } catch (error) {
    // A user mistake gets its message, never a stack trace; an internal fault says how to report it.
    if (isGatewayError(error)) {
      io.err(`iotgw ${name}: ${error.message}`);
      return error.code === 'config.invalid' || error.code === 'validation.invalid' ? EXIT.usage : EXIT.failed;
    }
    io.err(`iotgw ${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failed;
  }
}
