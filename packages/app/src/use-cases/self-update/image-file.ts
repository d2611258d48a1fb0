import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FirmwareStorageError, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, type FirmwareImage } from '@iotgw/domain';

const CHUNK = 1024 * 1024;

/**
 * Copies a verified image out of the FirmwareStore into a file of its own for the installer (the
 * store may evict its copy once released). Written to a temp name and renamed when complete, so
 * an installer never sees half an image.
 */
export async function writeImageFile(image: FirmwareImage, path: string, signal: AbortSignal): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  const partial = `${path}.partial`;
  try {
    const file = await open(partial, 'w', PRIVATE_FILE_MODE);
    try {
      for (let offset = 0; offset < image.size; ) {
        signal.throwIfAborted();
        const bytes = await image.read(offset, Math.min(CHUNK, image.size - offset), { signal });
        if (bytes.byteLength === 0) throw new FirmwareStorageError(`the image of ${image.job.version} ended at ${offset} of ${image.size} bytes`);
        await file.write(bytes);
        offset += bytes.byteLength;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof FirmwareStorageError || signal.aborted) throw error;
    throw new FirmwareStorageError(`cannot write the image for the installer to ${path}: ${(error as Error).message}`, { cause: error });
  }
}
