import { InvalidArgumentError, type Command } from 'commander';
import type { CliOutput } from './output.js';

/** "iotgw subdevices list": the command's name with its parents'. */
export function commandName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Commander writes whole chunks ending in a newline; our output takes lines. */
const lines = (write: (line: string) => void) => (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk);

/**
 * The same conventions on every command of the tree: help to stdout, errors to stderr prefixed
 * with the command ("iotgw start: required option ..."), followed by that command's help, and no
 * process.exit (runCli turns commander's exits into exit codes).
 */
export function applyConventions(command: Command, io: CliOutput): void {
  const prefix = commandName(command);
  command
    .exitOverride()
    .showHelpAfterError(true)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: lines((l) => io.out(l)),
      writeErr: lines((l) => io.err(l)),
      outputError: (message, write) => write(`${prefix}: ${message.replace(/^error: /, '')}`),
    });
  for (const sub of command.commands) applyConventions(sub, io);
}

/**
 * For a command whose work is done by its subcommands (`subdevices`, `ota`): a missing or
 * unknown operation is a usage error that lists the operations.
 */
export function requireSubcommand(command: Command): Command {
  return command
    .usage('<operation> [options]')
    .argument('[operation]')
    .allowUnknownOption()
    .allowExcessArguments()
    .action((operation: string | undefined) => {
      const known = command.commands.map((c) => c.name());
      const list = known.length > 1 ? `${known.slice(0, -1).join(', ')} or ${known.at(-1) ?? ''}` : (known[0] ?? '');
      command.error(operation === undefined ? `name an operation: ${list}` : `unknown operation ${JSON.stringify(operation)}: use ${list}`, {
        exitCode: 2,
        code: 'iotgw.unknownOperation',
      });
    });
}

/** A commander argument parser for TCP ports (0 allowed where `allowZero`). */
export function portNumber(allowZero = false): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const min = allowZero ? 0 : 1;
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > 65535) {
      throw new InvalidArgumentError(`must be a port number ${min}..65535`);
    }
    return n;
  };
}

