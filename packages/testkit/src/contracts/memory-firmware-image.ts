import { createHash } from 'node:crypto';
import { CancelledError, firmwareJob, ValidationError, type CallOptions, type FirmwareImage, type FirmwareJob } from '@iotgw/domain';

/** A verified FirmwareImage over bytes in memory, for link tests that need an image but no store. */
export function memoryFirmwareImage(bytes: Uint8Array, version = '1.0.0', url = 'https://firmware.test/image.bin'): FirmwareImage {
  const data = Uint8Array.from(bytes);
  const md5 = createHash('md5').update(data).digest('hex');
  const job: FirmwareJob = firmwareJob({ version, url, md5, size: data.length });
  return {
    job,
    size: data.length,
    md5,
    read(offset: number, length: number, options: CallOptions = {}): Promise<Uint8Array> {
      if (options.signal?.aborted) return Promise.reject(new CancelledError('firmware read', { cause: options.signal.reason }));
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > data.length || !Number.isSafeInteger(length) || length < 0) {
        return Promise.reject(new ValidationError(`read(${offset}, ${length}) is outside the image of ${data.length} bytes`));
      }
      return Promise.resolve(data.slice(offset, offset + length));
    },
  };
}
