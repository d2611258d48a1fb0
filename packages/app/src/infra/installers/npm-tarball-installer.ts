import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SelfUpdateError, isValidFirmwareVersion, type CallOptions, type GatewayInstaller, type InstallRequest, type RollbackRequest } from '@iotgw/domain';
import { runCommand } from './run-command.js';

export interface NpmTarballInstallerOptions {
  /** `<root>/versions/<version>` hold the installed versions, `<root>/current` links to the running one. */
  readonly root: string;
}

/**
 * The built-in installer of an npm-packaged product: the image is the product's `npm pack`
 * tarball, self-contained (its dependencies bundled: nothing is fetched). It is unpacked with the
 * system's `tar` into `<root>/versions/<version>` (through a temp dir, so a half-unpacked version
 * never exists), its package.json must carry the announced version, then the `<root>/current`
 * symlink is switched in one rename. The supervisor runs `<root>/current/...`, so the next start
 * runs the new version; a rollback switches the link back to the version that ran before (kept).
 */
export class NpmTarballInstaller implements GatewayInstaller {
  constructor(private readonly options: NpmTarballInstallerOptions) {}

  get currentLink(): string {
    return join(this.options.root, 'current');
  }

  versionDir(version: string): string {
    return join(this.options.root, 'versions', version);
  }

  async currentVersion(): Promise<string> {
    const version = await packageVersion(this.currentLink);
    if (version === undefined) throw new SelfUpdateError(`no installed version at ${this.currentLink}: install one and point the link at it (selfUpdate.root)`);
    return version;
  }

  async install(request: InstallRequest, options: CallOptions = {}): Promise<void> {
    if (!isValidFirmwareVersion(request.version) || request.version.startsWith('.')) throw new SelfUpdateError(`version ${JSON.stringify(request.version)} cannot name a directory`);
    const versions = join(this.options.root, 'versions');
    await mkdir(versions, { recursive: true });
    const staging = join(versions, `.unpacking-${request.version}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging);
    try {
      // `npm pack` tarballs hold everything under `package/`.
      await runCommand(['tar', '-xzf', request.imagePath, '-C', staging, '--strip-components=1', '--no-same-owner'], { ...options, what: `unpacking ${request.version}` });
      const found = await packageVersion(staging);
      if (found !== request.version) {
        throw new SelfUpdateError(`the tarball holds version ${found ?? '(no package.json)'}, the hub announced ${request.version}: not installed`);
      }
      const target = this.versionDir(request.version);
      if ((await packageVersion(this.currentLink)) === request.version) throw new SelfUpdateError(`version ${request.version} is the one running`);
      await rm(target, { recursive: true, force: true });
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    await this.#point(request.version);
  }

  async rollback(request: RollbackRequest): Promise<void> {
    if ((await packageVersion(this.versionDir(request.toVersion))) !== request.toVersion) {
      throw new SelfUpdateError(`version ${request.toVersion} is not installed in ${this.versionDir(request.toVersion)}: cannot roll back to it`);
    }
    await this.#point(request.toVersion);
  }

  /** Switches `current` to `versions/<version>` atomically (a new link renamed over the old one). */
  async #point(version: string): Promise<void> {
    const temp = join(this.options.root, `.current-${randomBytes(4).toString('hex')}`);
    await symlink(join('versions', version), temp);
    try {
      await rename(temp, this.currentLink);
    } catch (error) {
      await rm(temp, { force: true });
      throw new SelfUpdateError(`cannot switch ${this.currentLink} to ${version}: ${(error as Error).message}`, { cause: error });
    }
  }
}

async function packageVersion(dir: string): Promise<string | undefined> {
  try {
    await stat(dir);
    const parsed = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}
