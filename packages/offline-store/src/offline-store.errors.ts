import { GatewayError } from '@iotgw/domain';

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
