/** Fault knobs of the firmware server, for tests and demos. All off by default. */
export interface FirmwareFaults {
  /** Send at most this many body bytes per second. */
  throttleBytesPerSec?: number;
  /** Destroy the connection after this many body bytes of a response. */
  cutAfterBytes?: number;
  /** Flip the bits of the byte at this absolute file offset (the MD5 then no longer matches). */
  corruptByteAt?: number;
  /** Answer this many next requests with 500 (counts down). */
  fail500Count?: number;
}
