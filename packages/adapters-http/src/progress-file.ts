import { readFile, unlink } from 'node:fs/promises';
import { PRIVATE_FILE_MODE, type FirmwareJob } from '@iotgw/domain';
import { writeFileAtomic } from '@iotgw/durable-file';
import { onDisk } from './storage-errors.js';

/**
 * The persisted download progress. `version` and `downloaded_size` are the vendor SDK's field
 * names (so its tools can read ours); url, md5 and size are what we need to resume safely.
 * `downloaded_size` only ever counts bytes already fsynced to the partial file.
 */
export interface DownloadProgressRecord {
  readonly version: string;
  readonly downloaded_size: number;
  readonly url: string;
  readonly md5: string;
  readonly size: number;
}

/** Reads a progress file; undefined when missing or unreadable (a torn file means start over). */
export async function readProgressFile(path: string): Promise<DownloadProgressRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<DownloadProgressRecord>;
    if (
      typeof value.version !== 'string' ||
      typeof value.url !== 'string' ||
      typeof value.md5 !== 'string' ||
      !Number.isSafeInteger(value.size) ||
      !Number.isSafeInteger(value.downloaded_size)
    ) {
      return undefined;
    }
    return value as DownloadProgressRecord;
  } catch {
    return undefined;
  }
}

/** The record matches the job when it is the same image; the URL may be re-signed between tries. */
export function progressMatches(record: DownloadProgressRecord, job: FirmwareJob): boolean {
  return record.md5 === job.md5 && record.size === job.size && record.downloaded_size <= job.size;
}

/** Atomic write: temp file, fsync, rename. A crash leaves the old or the new record, never half. */
export async function writeProgressFile(path: string, record: DownloadProgressRecord): Promise<void> {
  await onDisk('write the download progress file', path, () => writeFileAtomic(path, JSON.stringify(record), { mode: PRIVATE_FILE_MODE }));
}

export async function removeProgressFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
