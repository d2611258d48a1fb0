import { ValidationError, type OtaFailCode } from './errors.js';
import type { SubdeviceId } from './subdevice-id.js';

/** What the hub asks for: an image at a URL with its MD5 and size. */
export interface FirmwareJob {
  readonly version: string;
  readonly url: string;
  /** 32 lower-case hex digits. */
  readonly md5: string;
  /** Bytes. */
  readonly size: number;
}

const MD5 = /^[0-9a-f]{32}$/;

/** Hub rule: a firmware version is 1 to 32 characters. */
export function isValidFirmwareVersion(version: string): boolean {
  return typeof version === 'string' && version.length >= 1 && version.length <= 32;
}

export function firmwareJob(input: FirmwareJob): FirmwareJob {
  if (!isValidFirmwareVersion(input.version)) {
    throw new ValidationError(`firmware version ${JSON.stringify(input.version)} must be 1 to 32 characters`);
  }
  if (typeof input.url !== 'string' || !/^https?:\/\//i.test(input.url)) {
    throw new ValidationError(`firmware url must be http(s), got ${JSON.stringify(input.url)}`);
  }
  const md5 = typeof input.md5 === 'string' ? input.md5.toLowerCase() : '';
  if (!MD5.test(md5)) {
    throw new ValidationError(`firmware md5 ${JSON.stringify(input.md5)} must be 32 hex digits`);
  }
  if (!Number.isSafeInteger(input.size) || input.size < 0) {
    throw new ValidationError(`firmware size ${String(input.size)} must be a non-negative integer of bytes`);
  }
  return Object.freeze({ version: input.version, url: input.url, md5, size: input.size });
}

/** A report about a subdevice's update, as the hub understands it. */
export type OtaReport =
  | { readonly state: 'downloading'; readonly version: string; readonly percent: number }
  /**
   * The image is being delivered to / applied on the device. A gateway reports its delivery leg
   * (gateway → subdevice over the link) here with `percent` 0..100, at most once per second; the
   * SDKs' own devices send it without.
   */
  | { readonly state: 'burning'; readonly version: string; readonly percent?: number }
  | { readonly state: 'done'; readonly version: string }
  | { readonly state: 'fail'; readonly version: string; readonly code: OtaFailCode; readonly message: string };

/** Progress of a long transfer (download or delivery). */
export interface TransferProgress {
  readonly bytes: number;
  readonly total: number;
  /** floor(bytes * 100 / total); 100 when total is 0. */
  readonly percent: number;
  readonly bytesPerSecond: number;
}

export function percentOf(bytes: number, total: number): number {
  if (total <= 0) return 100;
  return Math.min(100, Math.floor((bytes * 100) / total));
}

/** An update the hub pushed for one subdevice. */
export interface FirmwareUpdateCommand {
  readonly subdevice: SubdeviceId;
  readonly job: FirmwareJob;
}
