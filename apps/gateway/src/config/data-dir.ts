import { probeWritableDir, tightenPrivateTree } from '@iotgw/app';
import { ConfigError } from '@iotgw/domain';

/**
 * Creates the data dir and proves it writable before anything connects: a wrong path or missing
 * permission is a configuration error (exit 2). A full disk is not: it resolves with a warning and
 * the gateway runs degraded (the offline store keeps readings in memory, bounded; /health is 503).
 * Then makes it owner-only (0700 dirs, 0600 files) where an older version left it readable by
 * others; resolves with how many entries that changed.
 */
export async function checkDataDir(dir: string, configFile: string | undefined): Promise<{ readonly tightened: number; readonly warning?: string }> {
  try {
    await probeWritableDir(dir);
    return { tightened: await tightenPrivateTree(dir) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    // A full disk is a state to run through (degraded, loud), not a configuration mistake.
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return { tightened: 0, warning: `dataDir ${dir} is full (${code}): starting degraded; readings are held in memory (bounded) until there is space again, and /health says so` };
    }
    const reason = code === 'EEXIST' ? 'it exists and is not a directory' : code;
    const where = configFile ? ` in ${configFile}` : ' (in a --config file)';
    throw new ConfigError('dataDir', `cannot create or write ${dir}: ${reason}; set "dataDir"${where} to a directory this user can write`, {
      cause: error,
    });
  }
}
