import { StateCorruptError } from './errors.js';
import { isValidFirmwareVersion, type FirmwareJob } from './firmware.js';
import type { JsonValue } from './ports/state-store.port.js';

/**
 * What the gateway remembers across the restart of a self-update, in its data dir:
 * - `installed`: the installer put `version` in place; the process that starts next is on
 *   probation until it is healthy (then it reports `done`) or its time is up (then it rolls back).
 * - `rolled_back`: the new version was not healthy in time; the one that starts next (the old
 *   version again) reports `fail` with `message` to the hub.
 */
export interface SelfUpdateRecord {
  readonly phase: 'installed' | 'rolled_back';
  readonly job: FirmwareJob;
  readonly fromVersion: string;
  /** Unix ms when the phase began. */
  readonly at: number;
  /** Starts of the new version while on probation (a crash loop rolls back after a few). */
  readonly boots: number;
  readonly message?: string;
}

export function serializeSelfUpdate(record: SelfUpdateRecord): JsonValue {
  const { job } = record;
  return {
    phase: record.phase,
    job: { version: job.version, url: job.url, md5: job.md5, size: job.size },
    fromVersion: record.fromVersion,
    at: record.at,
    boots: record.boots,
    ...(record.message === undefined ? {} : { message: record.message }),
  };
}

/** Checks a persisted record; a damaged one is a StateCorruptError naming the key. */
export function parseSelfUpdate(key: string, raw: unknown): SelfUpdateRecord {
  const bad = (why: string): never => {
    throw new StateCorruptError(key, why);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const r = raw as Record<string, unknown>;
  if (r['phase'] !== 'installed' && r['phase'] !== 'rolled_back') return bad(`unknown phase ${JSON.stringify(r['phase'])}`);
  const job = r['job'] as Record<string, unknown> | null;
  if (typeof job !== 'object' || job === null) return bad('no job');
  const version = job['version'];
  if (typeof version !== 'string' || !isValidFirmwareVersion(version)) return bad('no valid job version');
  if (typeof job['url'] !== 'string' || typeof job['md5'] !== 'string' || typeof job['size'] !== 'number') return bad('job without url/md5/size');
  if (typeof r['fromVersion'] !== 'string') return bad('no fromVersion');
  if (typeof r['at'] !== 'number' || typeof r['boots'] !== 'number') return bad('no at/boots');
  return {
    phase: r['phase'],
    job: { version, url: job['url'], md5: job['md5'], size: job['size'] },
    fromVersion: r['fromVersion'],
    at: r['at'],
    boots: r['boots'],
    ...(typeof r['message'] === 'string' ? { message: r['message'] } : {}),
  };
}
