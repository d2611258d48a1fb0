import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { AdminRequestError, RegistryError } from './hub-emulator.errors.js';

/**
 * Resolves a firmware file named over the admin API inside the configured firmware directory.
 * Anything that ends up outside it (an absolute path elsewhere, `..`, a symlink pointing out) is
 * refused, so the API can never be used to read another file of the machine (registry secrets,
 * /etc/shadow) through a firmware download link.
 */
export async function resolveInFirmwareDir(dir: string | undefined, requested: string): Promise<string> {
  if (dir === undefined) {
    throw new AdminRequestError(
      403,
      'registering firmware by path is off: upload the image (PUT /api/firmware?version=V with the bytes as the body), or start the hub with --firmware-dir DIR and name a file in it',
    );
  }
  const root = await realpath(dir);
  const candidate = isAbsolute(requested) ? requested : join(root, requested);
  const outside = new AdminRequestError(403, `firmware path ${JSON.stringify(requested)} is not a file inside the firmware directory ${dir}`);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw outside;
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw outside;
  if (!(await stat(real)).isFile()) throw outside;
  return real;
}

/** At start: the firmware directory must exist and be a directory (a typo is caught before any call). */
export async function checkFirmwareDir(dir: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch {
    throw new RegistryError(`firmware directory ${dir} does not exist: create it, or leave --firmware-dir out to register firmware by upload only`);
  }
  if (!isDirectory) throw new RegistryError(`firmware directory ${dir} is not a directory`);
}
