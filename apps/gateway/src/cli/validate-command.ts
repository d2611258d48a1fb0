import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isGatewayError } from '@iotgw/domain';
import { parseDeviceInfo } from '../config/device-info.js';
import { parseGatewayConfig } from '../config/gateway-config.js';
import { EXIT, type CliOutput, type ExitCode } from './output.js';

export const validateHelp = `Usage: iotgw validate <file>...

Checks device_info.json files (vendor format, recognised by "auth_mode") and iotgw config files.
Prints one line per file; exits 2 if any file is invalid.`;

export async function validateCommand(files: readonly string[], io: CliOutput): Promise<ExitCode> {
  if (files.length === 0) {
    io.err('iotgw validate: name at least one file, e.g. iotgw validate device_info.json iotgw.json');
    return EXIT.usage;
  }
  let worst: ExitCode = EXIT.ok;
  for (const file of files) {
    try {
      const text = await readFile(file, 'utf8');
      // The vendor's file has these; an iotgw config never does.
      if (/"(auth_mode|productId|deviceName|key_deviceinfo|subDev)"\s*:/.test(text)) {
        const info = parseDeviceInfo(text, file);
        io.out(
          `${file}: ok — gateway ${info.gateway.productId}/${info.gateway.deviceName}, ${info.auth.mode} auth, ${info.subdevices.length} subdevice(s)`,
        );
      } else {
        const config = parseGatewayConfig(text, file);
        io.out(`${file}: ok — hub ${config.hub.adapter}, ${config.links.length} link(s), data dir ${config.dataDir}`);
      }
    } catch (error) {
      worst = EXIT.usage;
      if (isGatewayError(error)) io.err(error.message);
      else if (error instanceof Error && 'code' in error && error.code === 'ENOENT') io.err(`${file}: no such file (${basename(file)})`);
      else io.err(`${file}: cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return worst;
}
