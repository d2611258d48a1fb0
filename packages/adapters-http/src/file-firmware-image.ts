import { open } from 'node:fs/promises';
import { throwIfAborted, ValidationError, type CallOptions, type FirmwareImage, type FirmwareJob } from '@iotgw/domain';
import { onDisk } from './storage-errors.js';

/** A verified image in the data dir; reads go to the file, so delivery never holds it in memory. */
export class FileFirmwareImage implements FirmwareImage {
  readonly size: number;
  readonly md5: string;

  constructor(
    readonly job: FirmwareJob,
    readonly path: string,
  ) {
    this.size = job.size;
    this.md5 = job.md5;
  }

  async read(offset: number, length: number, options: CallOptions = {}): Promise<Uint8Array> {
    throwIfAborted(options.signal, 'firmware read');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.size) {
      throw new ValidationError(`read offset ${offset} is outside the ${this.size}-byte image`);
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new ValidationError(`read length ${length} must be a non-negative integer`);
    }
    const wanted = Math.min(length, this.size - offset);
    if (wanted === 0) return new Uint8Array(0);
    return onDisk('read the firmware image', this.path, async () => {
      const handle = await open(this.path, 'r');
      try {
        const buffer = Buffer.allocUnsafe(wanted);
        let filled = 0;
        while (filled < wanted) {
          const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
      } finally {
        await handle.close();
      }
    });
  }
}
