import { probeWritableDir, tightenPrivateTree } from '@iotgw/app';
import { ConfigError } from '@iotgw/domain';

/**
 * Creates the data dir and proves it writable before anything connects: the outbox and OTA state
 * are written there only later (on a disconnect, at stop), and a failure then would lose them.
 * Then makes it owner-only (0700 dirs, 0600 files) where an older version left it readable by
 * others; resolves with how many entries that changed.
 */
export async function checkDataDir(dir: string, configFile: string | undefined): Promise<number> {
  try {
    await probeWritableDir(dir);
    return await tightenPrivateTree(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const reason = code === 'EEXIST' ? 'it exists and is not a directory' : code;
    const where = configFile ? ` in ${configFile}` : ' (in a --config file)';
    throw new ConfigError('dataDir', `cannot create or write ${dir}: ${reason}; set "dataDir"${where} to a directory this user can write`, {
      cause: error,
    });
  }
}
