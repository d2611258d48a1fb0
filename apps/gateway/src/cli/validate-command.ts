import type { Command } from 'commander';
import { EXIT } from './output.js';
import type { CommandDefinition } from './main.js';

export interface ValidateOptions {
  deviceInfo?: string;
  config?: string;
}

const DESCRIPTION = `Checks the vendor's device_info.json and iotgw config files the way "iotgw start" does before it connects: both files parse (with the adapters the config's "plugins" bring), every link names a subdevice listed in the device file, every secret reference resolves (environment variable set, file readable), each adapter's own checks pass (e.g. each serial path exists), and the data dir can be created and written (nothing is left behind). Prints one line per file; exits 2 if anything would stop "iotgw start".

Files given without a flag are recognised by their content (the vendor file has "auth_mode", "productId"...).`;

export const validateCommand: CommandDefinition = {
  name: 'validate',
  define(program, host) {
    program
      .command('validate')
      .summary('check device_info.json and an iotgw config as "start" would, without connecting')
      .description(DESCRIPTION)
      .argument('[files...]', 'device_info.json and/or iotgw config files')
      .option('--device-info <file>', "the vendor's device_info.json (as for start)")
      .option('--config <file>', 'the iotgw config (as for start)')
      .action(
        host.action(async (files: string[], options: ValidateOptions, command: Command) => {
          if (files.length === 0 && !options.deviceInfo && !options.config) {
            command.error('name at least one file, e.g. iotgw validate device_info.json iotgw.json', { exitCode: EXIT.usage });
          }
          const { validate } = await import('./validate-run.js');
          return validate(files, options, host.io);
        }),
      );
  },
};
