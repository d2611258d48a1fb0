import { readFile } from 'node:fs/promises';
import { isGatewayError } from '@iotgw/domain';
import { parseDeviceInfo, type DeviceInfo } from '../config/device-info.js';
import { fileKindOfText } from '../config/file-kind.js';
import type { AdapterRegistry } from '@iotgw/app';
import { namedSubdevices } from '../config/adapter-sections.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { loadGatewayConfig } from '../config/load-config.js';
import { checkConfigEnvironment } from '../config/preflight.js';
import { EXIT, type CliOutput, type ExitCode } from './output.js';
import type { ValidateOptions } from './validate-command.js';

type Parsed = { kind: 'info'; file: string; info: DeviceInfo } | { kind: 'config'; file: string; config: GatewayConfig; registry: AdapterRegistry };

/** `iotgw validate`, once its flags are parsed: loaded only when the command runs (it loads every adapter to check the config). */
export async function validate(files: readonly string[], options: ValidateOptions, io: CliOutput): Promise<ExitCode> {
  const named: Array<{ file: string; kind?: 'info' | 'config' }> = [
    ...(options.deviceInfo ? [{ file: options.deviceInfo, kind: 'info' as const }] : []),
    ...(options.config ? [{ file: options.config, kind: 'config' as const }] : []),
    ...files.map((file) => ({ file })),
  ];
  let worst: ExitCode = EXIT.ok;
  const parsed: Parsed[] = [];
  for (const { file, kind } of named) {
    try {
      const text = await readFile(file, 'utf8');
      // A file without a flag goes by its content; a registry is checked as the device file it is
      // taken for, which names it for what it is.
      const found = kind === undefined ? fileKindOfText(text) : undefined;
      if (kind === 'info' || found === 'device-info' || found === 'registry') {
        parsed.push({ kind: 'info', file, info: parseDeviceInfo(text, file) });
      } else {
        parsed.push({ kind: 'config', file, ...(await loadGatewayConfig(text, file)) });
      }
    } catch (error) {
      worst = EXIT.usage;
      if (isGatewayError(error)) io.err(error.message);
      else if (error instanceof Error && 'code' in error && error.code === 'ENOENT') io.err(`${file}: no such file`);
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
    const problems = await checkConfigEnvironment(p.config, p.file, { registry: p.registry, ...(only ? { info: { info: only.info, file: only.file } } : {}) });
    for (const problem of problems) io.err(`${p.file}: ${problem.message}`);
    if (problems.length > 0) {
      worst = EXIT.usage;
      continue;
    }
    const unchecked = !only && p.config.links.some((l) => namedSubdevices(p.registry, l).length > 0) ? ' (links not checked against a device file: name it too)' : '';
    io.out(`${p.file}: ok — hub ${p.config.hub.adapter}, ${p.config.links.length} link(s), data dir ${p.config.dataDir}${unchecked}`);
  }
  return worst;
}
