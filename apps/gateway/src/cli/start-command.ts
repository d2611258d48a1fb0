import type { Command } from 'commander';
import { EXIT } from './output.js';
import type { CommandDefinition } from './main.js';

const DESCRIPTION = `Runs a gateway: connects to the hub, starts the configured links and keeps the declared subdevices online, forwards data both ways and runs firmware updates. On SIGINT/SIGTERM it stops firmware jobs where they stand (the next start resumes them), takes its subdevices offline, flushes what it still has to send and exits 0. Both files are checked completely before anything connects (the same checks as "iotgw validate"): a bad file exits 2.`;

export const startCommand: CommandDefinition = {
  name: 'start',
  // Every step of a stop is bounded (offline 5 s, background work 5 s, outbox flush 10 s); this
  // bounds their sum and anything that still holds the process open after it.
  stopGraceMs: 30_000,
  define(program, host) {
    program
      .command('start')
      .summary('run a gateway from device_info.json and an iotgw config until SIGINT/SIGTERM')
      .description(DESCRIPTION)
      // Required, but checked here rather than by commander: a bad flag is named first, and a file
      // given without its flag (a common slip) gets the command that would use it.
      .option('--device-info <file>', "the vendor's device_info.json (KEY or CERT mode, subDev.subdev_list); required")
      .option('--config <file>', 'iotgw config (hub override, links, secrets, dataDir, logLevel...)')
      .allowExcessArguments()
      .action(
        host.action(async (options: { deviceInfo?: string; config?: string }, command: Command) => {
          const [stray] = command.args;
          if (options.deviceInfo === undefined) {
            const hint = stray === undefined ? '' : ` (to start from ${stray}: iotgw start --device-info ${stray})`;
            command.error(`required option '--device-info <file>' not specified${hint}`, { exitCode: EXIT.usage });
          }
          if (stray !== undefined) command.error(`unexpected argument '${stray}': files are given with --device-info and --config`, { exitCode: EXIT.usage });
          const { runStart } = await import('./start-run.js');
          return runStart({ ...options, deviceInfo: options.deviceInfo }, host);
        }),
      );
  },
};
