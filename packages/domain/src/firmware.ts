import { CancelledError, ValidationError, type OtaFailCode } from './errors.js';
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

/** The hub's rule for any version it accepts or reports: 1 to 32 characters. */
export function isValidFirmwareVersion(version: string): boolean {
  return typeof version === 'string' && version.length >= 1 && version.length <= 32;
}

/**
 * Why a version the hub pushed is not one the gateway runs, or undefined when it is fine: beyond
 * the hub's 1..32 characters, printable ASCII only (no control characters, no leading or trailing
 * space) and nothing that reads as a path (`/`, `\`, `..`): versions end up in file names, logs and
 * the subdevice's own flash, where such characters do harm.
 */
export function firmwareVersionProblem(version: unknown): string | undefined {
  if (typeof version !== 'string') return 'the firmware version must be a string';
  const shown = JSON.stringify(version.slice(0, 40));
  if (!isValidFirmwareVersion(version)) return `firmware version ${shown} must be 1 to 32 characters`;
  if (!/^[\x20-\x7e]+$/.test(version)) return `firmware version ${shown} must be printable ASCII (no control characters)`;
  if (version.trim() !== version) return `firmware version ${shown} must not start or end with a space`;
  if (/[/\\]/.test(version) || version.includes('..')) return `firmware version ${shown} must not contain "/", "\\" or ".."`;
  return undefined;
}

/** Why `url` is not a firmware URL (http or https, a host, no user:password in it), or undefined. */
export function firmwareUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string') return 'the firmware url must be a string';
  if (url.length > 4096) return 'the firmware url must be at most 4096 characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the firmware url is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `the firmware url must be http or https, not ${parsed.protocol.slice(0, -1)}`;
  if (parsed.hostname === '') return 'the firmware url has no host';
  if (parsed.username !== '' || parsed.password !== '') return 'the firmware url must not carry a user name or password';
  return undefined;
}

export function firmwareJob(input: FirmwareJob): FirmwareJob {
  const versionProblem = firmwareVersionProblem(input.version);
  if (versionProblem) throw new ValidationError(versionProblem);
  const urlProblem = firmwareUrlProblem(input.url);
  if (urlProblem) throw new ValidationError(urlProblem);
  const md5 = typeof input.md5 === 'string' ? input.md5.toLowerCase() : '';
  if (!MD5.test(md5)) {
    throw new ValidationError(`firmware md5 ${JSON.stringify(input.md5)} must be 32 hex digits`);
  }
  if (!Number.isSafeInteger(input.size) || input.size < 1) {
    throw new ValidationError(`firmware size ${String(input.size)} must be a positive integer of bytes`);
  }
  return Object.freeze({ version: input.version, url: input.url, md5, size: input.size });
}

/** A report about a subdevice's update, as the hub understands it. */
export type OtaReport =
  | { readonly state: 'downloading'; readonly version: string; readonly percent: number }
  /**
   * The delivery leg: the image goes to the subdevice over its link, then is applied. A gateway
   * reports the delivery's progress here with `percent` 0..100 (iotgw's mapping, see the app
   * README; the platform ignores it), 100 once the subdevice confirmed the write; the SDKs' own
   * devices send it without.
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

/** Why a firmware job was cancelled where it stood; a link may tell its subdevice (the link protocol's FW_CANCEL reason). */
export type FirmwareCancelReason = 'unspecified' | 'superseded' | 'shutdown';

/** The abort reason of a firmware job's signal when the app knows why it cancels it. */
export class FirmwareCancelledError extends CancelledError {
  readonly reason: FirmwareCancelReason;
  constructor(reason: FirmwareCancelReason, what = 'the firmware job') {
    super(`${what} (${reason})`);
    this.reason = reason;
  }
}

/**
 * Why a signal was aborted, for a firmware delivery: deadlines and wrappers re-wrap the reason
 * (CancelledError with the outer reason as its cause), so the cause chain is followed.
 */
export function firmwareCancelReasonOf(abortReason: unknown): FirmwareCancelReason {
  let at: unknown = abortReason;
  for (let depth = 0; depth < 8 && at instanceof Error; depth++) {
    if (at instanceof FirmwareCancelledError) return at.reason;
    at = at.cause;
  }
  return 'unspecified';
}
