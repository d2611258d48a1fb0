import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isValidFirmwareVersion } from '@iotgw/domain';
import type { FirmwareCatalog, FirmwareImage } from './firmware-catalog.js';
import { AdminRequestError, RegistryError } from './hub-emulator.errors.js';

/** Default largest upload: 256 MiB. */
export const DEFAULT_MAX_FIRMWARE_BYTES = 256 * 1024 * 1024;

/**
 * Uploaded firmware images, stored in a private temp dir (0700, made at the first upload, removed
 * on close) and registered in the catalog. An upload over `maxBytes` is cut off and refused.
 */
export class FirmwareUploads {
  private dir: string | undefined;
  private count = 0;

  constructor(
    private readonly catalog: FirmwareCatalog,
    private readonly maxBytes: number = DEFAULT_MAX_FIRMWARE_BYTES,
  ) {}

  async store(options: { version: string; data: AsyncIterable<Uint8Array | string> | Uint8Array }): Promise<FirmwareImage> {
    if (!isValidFirmwareVersion(options.version)) {
      throw new RegistryError(`firmware version ${JSON.stringify(options.version)} is not valid: use 1 to 32 characters`);
    }
    // mkdtemp makes the directory 0700: other users of the machine cannot swap an image.
    this.dir ??= await mkdtemp(join(tmpdir(), 'iotgw-hub-fw-'));
    this.count += 1;
    const path = join(this.dir, `upload-${this.count}.bin`);
    const data = options.data;
    let size = 0;
    const limit = this.maxBytes;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) callback(new AdminRequestError(413, `firmware upload over ${limit} bytes: refused`));
        else callback(null, chunk);
      },
    });
    try {
      await pipeline(data instanceof Uint8Array ? Readable.from([data]) : Readable.from(data), cap, createWriteStream(path, { mode: 0o600 }));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return this.catalog.register({ path, version: options.version });
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
