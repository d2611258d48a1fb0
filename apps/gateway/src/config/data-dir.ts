import { probeWritableDir } from '@iotgw/app';
import { ConfigError } from '@iotgw/domain';

/**
 * Creates the data dir and proves it writable before anything connects: the outbox and OTA state
 * are written there only later (on a disconnect, at stop), and a failure then would lose them.
 */
export async function checkDataDir(dir: string, configFile: string | undefined): Promise<void> {
  try {
    await probeWritableDir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const reason = code === 'EEXIST' ? 'it exists and is not a directory' : code;
    const where = configFile ? ` in ${configFile}` : ' (in a --config file)';
    throw new ConfigError('dataDir', `cannot create or write ${dir}: ${reason}; set "dataDir"${where} to a directory this user can write`, {
      cause: error,
    });
  }
}
