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
      .requiredOption('--device-info <file>', "the vendor's device_info.json (KEY or CERT mode, subDev.subdev_list)")
      .option('--config <file>', 'iotgw config (hub override, links, secrets, dataDir, logLevel...)')
      .action(
        host.action(async (options: { deviceInfo: string; config?: string }) => {
          const { runStart } = await import('./start-run.js');
          return runStart(options, host);
        }),
      );
  },
};
