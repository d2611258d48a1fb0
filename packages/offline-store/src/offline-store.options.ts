import type { Clock, Logger } from '@iotgw/domain';
import type { SegmentFiles } from './segment-files.port.js';

/** What happens at `maxBytes`: lose the oldest held readings, refuse the new one, or fail the publish. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject';

/** Why readings were lost (counted, never one log line each). */
export type DropReason = 'max_bytes' | 'max_age' | 'disk_full';

export interface OfflineStoreOptions {
  /** Directory of the segment files (created 0700). Omitted: the log lives in memory. */
  readonly dir?: string;
  /** The file layer (tests inject faults here); default files in `dir`, or in memory. */
  readonly files?: SegmentFiles;
  /** Bound on the log's size, in bytes; default 256 MiB (16 MiB in memory). */
  readonly maxBytes?: number;
  /** Readings older than this are dropped; default 7 days. */
  readonly maxAgeMs?: number;
  /** Default `drop-oldest`. */
  readonly overflow?: OverflowPolicy;
  /**
   * How often what was appended is written and fsynced; default 1000 ms. A kill -9 or a power cut
   * loses at most the readings of the last interval.
   */
  readonly syncIntervalMs?: number;
  /** A segment is sealed past this size; default 8 MiB (at most 1/8 of `maxBytes`). */
  readonly segmentBytes?: number;
  /** Readings kept in memory while the disk refuses writes (disk full); default 32 MiB. */
  readonly maxUnwrittenBytes?: number;
  /** Names the config fields in warnings (e.g. `hub.offlineStore`); default `offlineStore`. */
  readonly configPath?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface OfflineStoreStats {
  /** Readings held (not acknowledged by the hub), in flight included. */
  readonly depth: number;
  /** Bytes of the log: segment files plus what is not written yet. */
  readonly bytes: number;
  /** Age of the oldest held reading, ms; 0 when empty. */
  readonly oldestAgeMs: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Held readings per key (subdevice), only keys holding some. */
  readonly held: Readonly<Record<string, number>>;
  /** Set while the disk refuses writes: readings are kept in memory (bounded) until it accepts them. */
  readonly degraded: { readonly code: string; readonly message: string; readonly sinceMs: number } | undefined;
}

export const DEFAULTS = {
  maxBytes: 256 * 1024 * 1024,
  memoryMaxBytes: 16 * 1024 * 1024,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  syncIntervalMs: 1000,
  segmentBytes: 8 * 1024 * 1024,
  maxUnwrittenBytes: 32 * 1024 * 1024,
} as const;
