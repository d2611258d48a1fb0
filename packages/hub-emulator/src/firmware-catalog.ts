import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { RegistryError } from './hub-emulator.errors.js';

/** A firmware image the emulator can hand out: version, md5 and size computed from the file. */
export interface FirmwareImage {
  id: string;
  version: string;
  path: string;
  md5: string;
  size: number;
}

async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Registered firmware files, by id (the id is part of the download URL). */
export class FirmwareCatalog {
  private readonly images = new Map<string, FirmwareImage>();
  private seq = 0;

  async register(options: { path: string; version: string }): Promise<FirmwareImage> {
    if (typeof options.version !== 'string' || options.version.length < 1 || options.version.length > 32) {
      throw new RegistryError(`firmware version ${JSON.stringify(options.version)} is not valid: use 1 to 32 characters`);
    }
    let size: number;
    try {
      size = (await stat(options.path)).size;
    } catch (error) {
      throw new RegistryError(`firmware file ${options.path} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    const md5 = await md5File(options.path);
    this.seq += 1;
    const image: FirmwareImage = { id: `fw${this.seq}`, version: options.version, path: options.path, md5, size };
    this.images.set(image.id, image);
    return { ...image };
  }

  get(id: string): FirmwareImage | undefined {
    return this.images.get(id);
  }

  list(): FirmwareImage[] {
    return [...this.images.values()].map((i) => ({ ...i }));
  }
}
