import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { probeWritableDir, tightenPrivateTree } from '@iotgw/app';
import { ConfigError } from '@iotgw/domain';

export interface DataDirCheck {
  /** Entries that were readable by others and are now owner-only. */
  readonly tightened: number;
  /** Set when the gateway can start but runs degraded (a full disk). */
  readonly warning?: string;
}

/**
 * Creates the data dir and proves it writable before anything connects: a wrong path or missing
 * permission is a configuration error (exit 2). A full disk is not: it resolves with a warning and
 * the gateway runs degraded (the offline store keeps readings in memory, bounded; /health is 503).
 * Then makes it owner-only (0700 dirs, 0600 files) where an older version left it readable by
 * others. With `dryRun` (validate) the same proof is made, nothing is tightened, and whatever the
 * proof created is removed again.
 */
export async function checkDataDir(dir: string, configFile: string | undefined, options: { dryRun?: boolean } = {}): Promise<DataDirCheck> {
  const created = options.dryRun ? await firstMissing(dir) : undefined;
  try {
    await probeWritableDir(dir);
    return { tightened: options.dryRun ? 0 : await tightenPrivateTree(dir) };
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
  } finally {
    // Best effort: the check must not fail on its own clean-up.
    if (created) await rm(created, { recursive: true, force: true }).catch(() => {});
  }
}

/** The outermost directory of `dir` that does not exist yet (what a mkdir -p would create), if any. */
async function firstMissing(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let at = dir; ; at = dirname(at)) {
    try {
      await stat(at);
      return missing;
    } catch (error) {
      // Only a missing entry is something mkdir -p creates; anything else (a file in the way) it does not.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return missing;
      missing = at;
    }
    if (dirname(at) === at) return missing;
  }
}
