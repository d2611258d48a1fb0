import type { FirmwareTransferOptions, FramingOptions } from '@iotgw/link-protocol';

export interface SerialSubdeviceLinkOptions {
  /** Device path, e.g. /dev/ttyUSB0 or a pty. */
  readonly path: string;
  /** Default 115200 (8N1). */
  readonly baudRate?: number;
  /** Name in logs and events; default `serial:<path>`. */
  readonly name?: string;
  /** CRC kind and max frame size; both ends must agree. */
  readonly framing?: FramingOptions;
  /** Told to subdevices: how often to send KEEPALIVE. Default 1000 ms. */
  readonly keepaliveIntervalMs?: number;
  /** Detach a subdevice not heard from for this long. Default 3500 ms. */
  readonly keepaliveTimeoutMs?: number;
  /** Retry opening a vanished port this often. Default 500 ms. */
  readonly reopenIntervalMs?: number;
  /** Default timeout of `send`. Default 5000 ms. */
  readonly sendTimeoutMs?: number;
  /** Default timeout of `deliverFirmware`. Default 30 min. */
  readonly firmwareTimeoutMs?: number;
  readonly firmware?: FirmwareTransferOptions;
}
