import { Command, CommanderError, Option } from 'commander';
import { isGatewayError } from '@iotgw/domain';
import { applyConventions } from './conventions.js';
import { EXIT, processOutput, type CliOutput, type ExitCode } from './output.js';
import { validateCommand } from './validate-command.js';
import { packageVersion } from './version.js';

export interface CommandContext {
  readonly io: CliOutput;
  readonly signal: AbortSignal;
}

/** What a command definition gets: the context, and `action` to turn a run into the command's exit code. */
export interface CommandHost extends CommandContext {
  action<A extends unknown[]>(run: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void>;
}

/** One `iotgw` command: adds itself (options, help, action) under the program. */
export interface CommandDefinition {
  readonly name: string;
  /**
   * How long the process may take to stop after SIGINT/SIGTERM before it is ended anyway
   * (default 2 s). `start` flushes its outbox and takes subdevices offline, so it needs longer.
   */
  readonly stopGraceMs?: number;
  define(program: Command, host: CommandHost): void;
}

/** The commands: validate here, the others registered by commands.js (so a test can run the CLI with validate alone). */
const definitions = new Map<string, CommandDefinition>([['validate', validateCommand]]);

export function registerCommand(definition: CommandDefinition): void {
  definitions.set(definition.name, definition);
}

export const DEFAULT_STOP_GRACE_MS = 2_000;

/** The stop grace of the command `argv` names (see `CommandDefinition.stopGraceMs`). */
export function stopGraceMs(argv: readonly string[]): number {
  const name = argv.find((a) => !a.startsWith('-'));
  return (name !== undefined ? definitions.get(name)?.stopGraceMs : undefined) ?? DEFAULT_STOP_GRACE_MS;
}

function buildProgram(host: CommandHost): Command {
  const program = new Command('iotgw')
    .description('Run, try and check IoT gateways for Tencent Cloud IoT Hub.')
    .version(packageVersion(), '-V, --version', 'print the version of iotgw')
    // Before 0.2 the version flag was -v; it still works, unlisted.
    .addOption(new Option('-v', 'print the version (old spelling of -V)').hideHelp())
    .on('option:v', () => {
      host.io.out(packageVersion());
      throw new CommanderError(0, 'commander.version', packageVersion());
    });
  for (const definition of definitions.values()) definition.define(program, host);
  program.addHelpText('after', '\nRun "iotgw <command> --help" for a command\'s options.');
  applyConventions(program, host.io);
  return program;
}

/**
 * Runs one `iotgw` invocation. Conventions (every command): help on stdout with exit 0; usage
 * errors on stderr as "iotgw <command>: <what is wrong>" followed by the command's help, exit 2
 * (a bare `iotgw` is one: help on stderr, exit 2); a flow that fails exits 1.
 */
export async function runCli(argv: readonly string[], io: CliOutput = processOutput, signal: AbortSignal = new AbortController().signal): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const host: CommandHost = {
    io,
    signal,
    action:
      (run) =>
      async (...args) => {
        code = await run(...args);
      },
  };
  const program = buildProgram(host);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const name = commandPath(program, argv);
    // A user mistake gets its message, never a stack trace; an internal fault says how to report it.
    if (isGatewayError(error)) {
      io.err(`${name}: ${error.message}`);
      return error.code === 'config.invalid' || error.code === 'validation.invalid' ? EXIT.usage : EXIT.failed;
    }
    io.err(`${name}: unexpected error (please report it with this text): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failed;
  }
}

/** "iotgw subdevices list" for the deepest command `argv` reaches. */
function commandPath(program: Command, argv: readonly string[]): string {
  const names = ['iotgw'];
  let at = program;
  for (const arg of argv) {
    const next = at.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    names.push(next.name());
    at = next;
  }
  return names.join(' ');
}
