import type { Command } from 'commander';
import { HUB_CLI_HELP } from '@iotgw/hub-emulator/cli-help';
import { EXIT } from './output.js';
import type { CommandDefinition } from './main.js';

/**
 * `iotgw hub`: the hub emulator alone; stops cleanly when the CLI's signal aborts (SIGINT/SIGTERM).
 * Its options are the emulator's own (`runHubCli` parses them and prints their help), so the two
 * can never disagree.
 */
export const hubCommand: CommandDefinition = {
  name: 'hub',
  define(program, host) {
    program
      .command('hub')
      .summary('run the Tencent IoT Hub emulator (broker, firmware HTTP, admin API, web console)')
      // runHubCli answers --help itself; `iotgw help hub` shows the same text.
      .helpOption(false)
      .configureHelp({ formatHelp: () => HUB_CLI_HELP })
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[options]')
      .action(
        host.action(async (_first: string | undefined, _options: object, command: Command) => {
          const untilStopped = new Promise<void>((resolve) => {
            if (host.signal.aborted) resolve();
            else host.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          const { runHubCli } = await import('@iotgw/hub-emulator');
          const code = await runHubCli(command.args, { stdout: (l) => host.io.out(l), stderr: (l) => host.io.err(l), untilStopped });
          return code === 0 ? EXIT.ok : code === 2 ? EXIT.usage : EXIT.failed;
        }),
      );
  },
};
