import type { CallOptions } from '../call-options.js';
import type { FirmwareJob, TransferProgress } from '../firmware.js';

/** A verified image on the gateway, readable at any offset so delivery can resume. */
export interface FirmwareImage {
  readonly job: FirmwareJob;
  readonly size: number;
  /** Lower-case hex MD5 of the whole image, verified. */
  readonly md5: string;
  /** Reads up to `length` bytes at `offset`; fewer only at the end of the image. */
  read(offset: number, length: number, options?: CallOptions): Promise<Uint8Array>;
}

export interface ObtainOptions extends CallOptions {
  /** Called as bytes arrive, including at once with the resumed amount. */
  readonly onProgress?: (progress: TransferProgress) => void;
}

/**
 * Where firmware images come from.
 *
 * Contract:
 * - `obtain` resolves only with an image whose MD5 and size match the job; it rejects with
 *   FirmwareError carrying the hub's code (-1 network/timeout, -2 not found, -3 forbidden/expired,
 *   -4 MD5 mismatch), FirmwareStorageError for local disk problems, or CancelledError.
 * - Concurrent `obtain` calls for the same image share one download; each gets its own progress.
 * - A cancelled or failed download keeps what was verified so far: the next `obtain` resumes.
 * - `release` says this caller is done with the image; the store may then evict it. Idempotent.
 */
export interface FirmwareStore {
  obtain(job: FirmwareJob, options?: ObtainOptions): Promise<FirmwareImage>;
  release(image: FirmwareImage): Promise<void>;
}
