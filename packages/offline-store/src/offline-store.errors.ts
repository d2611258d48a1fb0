import { GatewayError } from '@iotgw/domain';
import type { DropReason } from './offline-store.options.js';

/** The store is at `maxBytes` with the `reject` policy: the reading was not accepted. */
export class OfflineStoreFullError extends GatewayError {
  constructor(maxBytes: number, configPath: string) {
    super(
      'store.full',
      `offline store full (${maxBytes} bytes, policy reject): raise ${configPath}.maxBytes, choose ${configPath}.overflow "drop-oldest", or restore the hub connection`,
      { details: { maxBytes } },
    );
  }
}

/** The store's disk failed (full, read-only, gone); `fsCode` is the filesystem's code (ENOSPC, EROFS...). */
export class OfflineStoreIoError extends GatewayError {
  readonly fsCode: string;
  constructor(message: string, fsCode: string, options?: { cause?: unknown }) {
    super('store.io', message, { ...options, details: { fsCode } });
    this.fsCode = fsCode;
  }
}

/**
 * A reading was dropped before it was durable (a bound: `max_bytes`, `max_age`, or `disk_full`
 * when the disk refused it and the memory reserve ran out): whoever waited for it to be durable
 * must not treat it as accepted (a link does not acknowledge it, so the subdevice keeps it).
 */
export class OfflineStoreDroppedError extends GatewayError {
  readonly reason: DropReason;
  constructor(reason: DropReason, configPath: string) {
    super('store.dropped', `offline store dropped the reading (${reason}) before it was on disk: raise ${configPath}.maxBytes / maxAgeMs, free space on its disk, or restore the hub connection`, {
      details: { reason },
    });
    this.reason = reason;
  }
}
