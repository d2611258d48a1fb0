import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { isGatewayError } from '@iotgw/domain';
import { parseDeviceInfo, type DeviceInfo } from '../config/device-info.js';
import { parseGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';
import { checkConfigEnvironment } from '../config/preflight.js';
import { EXIT, type CliOutput, type ExitCode } from './output.js';
import type { CommandDefinition } from './main.js';

interface ValidateOptions {
  deviceInfo?: string;
  config?: string;
}

const DESCRIPTION = `Checks the vendor's device_info.json and iotgw config files the way "iotgw start" does before it connects: both files parse, every link names a subdevice listed in the device file, every secret reference resolves (environment variable set, file readable), each serial path exists, and the data dir can be created and written (nothing is left behind). Prints one line per file; exits 2 if anything would stop "iotgw start".

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
      .action(host.action((files: string[], options: ValidateOptions, command: Command) => validate(files, options, command, host.io)));
  },
};

type Parsed = { kind: 'info'; file: string; info: DeviceInfo } | { kind: 'config'; file: string; config: GatewayConfig };

async function validate(files: readonly string[], options: ValidateOptions, command: Command, io: CliOutput): Promise<ExitCode> {
  const named: Array<{ file: string; kind?: 'info' | 'config' }> = [
    ...(options.deviceInfo ? [{ file: options.deviceInfo, kind: 'info' as const }] : []),
    ...(options.config ? [{ file: options.config, kind: 'config' as const }] : []),
    ...files.map((file) => ({ file })),
  ];
  if (named.length === 0) command.error('name at least one file, e.g. iotgw validate device_info.json iotgw.json', { exitCode: EXIT.usage });
  let worst: ExitCode = EXIT.ok;
  const parsed: Parsed[] = [];
  for (const { file, kind } of named) {
    try {
      const text = await readFile(file, 'utf8');
      // The vendor's file has these; an iotgw config never does.
      if (kind === 'info' || (kind === undefined && /"(auth_mode|productId|deviceName|key_deviceinfo|subDev)"\s*:/.test(text))) {
        parsed.push({ kind: 'info', file, info: parseDeviceInfo(text, file) });
      } else {
        parsed.push({ kind: 'config', file, config: parseGatewayConfig(text, file) });
      }
    } catch (error) {
      worst = EXIT.usage;
      if (isGatewayError(error)) io.err(error.message);
      else if (error instanceof Error && 'code' in error && error.code === 'ENOENT') io.err(`${file}: no such file (${basename(file)})`);
      else io.err(`${file}: cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const infos = parsed.flatMap((p) => (p.kind === 'info' ? [p] : []));
  // Links are checked against the device file when there is exactly one to check them against.
  const [only] = infos.length === 1 ? infos : [];
  for (const p of parsed) {
    if (p.kind === 'info') {
      io.out(`${p.file}: ok — gateway ${p.info.gateway.productId}/${p.info.gateway.deviceName}, ${p.info.auth.mode} auth, ${p.info.subdevices.length} subdevice(s)`);
      continue;
    }
    const problems = await checkConfigEnvironment(p.config, p.file, only ? { info: { info: only.info, file: only.file } } : {});
    for (const problem of problems) io.err(`${p.file}: ${problem.message}`);
    if (problems.length > 0) {
      worst = EXIT.usage;
      continue;
    }
    const unchecked = !only && p.config.links.some((l) => l.subdevices.length > 0) ? ' (links not checked against a device file: name it too)' : '';
    io.out(`${p.file}: ok — hub ${p.config.hub.adapter}, ${p.config.links.length} link(s), data dir ${p.config.dataDir}${unchecked}`);
  }
  return worst;
}
