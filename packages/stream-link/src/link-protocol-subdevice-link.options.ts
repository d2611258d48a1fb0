import type { ByteStreamProvider, Logger } from '@iotgw/domain';
import type { FirmwareTransferOptions, FramingOptions, Scheduler } from '@iotgw/link-protocol';
import type { ServedSubdevice } from './served-subdevices.js';

export interface LinkProtocolSubdeviceLinkOptions {
  /** Name in logs and events, e.g. `serial:/dev/ttyUSB0`. */
  readonly name: string;
  /** Opens the byte streams the protocol runs on (a serial port, BLE connections). */
  readonly provider: ByteStreamProvider;
  /**
   * The subdevices this link serves, with their bus address when fixed. A HELLO from anyone else
   * is refused (HELLO_REFUSED), so the gateway never holds data it will not send. Undefined: serve
   * any subdevice that says HELLO.
   */
  readonly subdevices?: readonly ServedSubdevice[];
  /** CRC kind and max frame size; both ends must agree on the CRC. Default crc32c, 1100 bytes. */
  readonly framing?: FramingOptions;
  /** Told to subdevices: how often to send KEEPALIVE. Default 1000 ms. */
  readonly keepaliveIntervalMs?: number;
  /** Detach a subdevice not heard from for this long. Default 3500 ms. */
  readonly keepaliveTimeoutMs?: number;
  /** DATA retransmit interval; default 300 ms, raised to 3 frame-times on slow lines. */
  readonly ackTimeoutMs?: number;
  /** Firmware window, chunk size and timers (see link-protocol); retransmitMs rises on slow lines. */
  readonly firmware?: FirmwareTransferOptions;
  /** Default timeout of `send`. Default 10 000 ms. */
  readonly sendTimeoutMs?: number;
  /** Default timeout of `deliverFirmware`. Default 30 min. */
  readonly firmwareTimeoutMs?: number;
  /** Highest link-protocol revision to agree to. Default the latest. */
  readonly revision?: number;
  readonly logger?: Logger;
  /** Time source of the session engines (tests run them in virtual time). */
  readonly scheduler?: Scheduler;
}
