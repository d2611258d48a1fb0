import type { LinkProtocolSubdeviceLinkOptions } from '@iotgw/stream-link';

export interface SerialSubdeviceLinkOptions extends Omit<LinkProtocolSubdeviceLinkOptions, 'name' | 'provider'> {
  /** Device path, e.g. /dev/ttyUSB0 or a pty. */
  readonly path: string;
  /** Default 115200 (8N1). */
  readonly baudRate?: number;
  /** Name in logs and events; default `serial:<path>`. */
  readonly name?: string;
  /** Retry opening a vanished port this often. Default 500 ms. */
  readonly reopenIntervalMs?: number;
}
