import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@iotgw/domain';
import type { GatewayConfig } from './gateway-config.js';

/**
 * Each serial link's device path must exist and be a character device. `iotgw start` waits a while
 * for a missing port (a USB adapter may still be enumerating) and then refuses it; `validate`
 * says so at once.
 */
export async function checkSerialPaths(config: GatewayConfig, baseDir: string): Promise<ConfigError[]> {
  const problems: ConfigError[] = [];
  for (const [i, link] of config.links.entries()) {
    if (link.adapter !== 'serial') continue;
    const path = isAbsolute(link.path) ? link.path : resolve(baseDir, link.path);
    try {
      const st = await stat(path);
      if (!st.isCharacterDevice()) problems.push(new ConfigError(`links.${i}.path`, `${path} is not a serial device (not a character device): give the port's path, e.g. /dev/ttyUSB0`));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
      problems.push(new ConfigError(`links.${i}.path`, `${path} ${why}: plug the device in or fix the path (stable names are under /dev/serial/by-id/)`));
    }
  }
  return problems;
}
