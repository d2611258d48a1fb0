import { SelfUpdateError, type CallOptions, type GatewayInstaller, type InstallRequest, type RollbackRequest } from '@iotgw/domain';
import { runCommand } from './run-command.js';

export interface CommandInstallerOptions {
  /** argv run with the image path and the version appended; exit 0 = installed. */
  readonly install: readonly string[];
  /** argv run with the failed version and the version to go back to appended; exit 0 = rolled back. */
  readonly rollback?: readonly string[];
  /** The version of the product running now (what the hub is told). */
  readonly version: string;
}

/**
 * The product's own commands install and roll back: `install… <imagePath> <version>` and
 * `rollback… <failedVersion> <toVersion>`, also given as `IOTGW_IMAGE`, `IOTGW_VERSION`,
 * `IOTGW_FROM_VERSION` / `IOTGW_TO_VERSION` in the environment. No shell is involved.
 */
export class CommandInstaller implements GatewayInstaller {
  constructor(private readonly options: CommandInstallerOptions) {}

  currentVersion(): Promise<string> {
    return Promise.resolve(this.options.version);
  }

  async install(request: InstallRequest, options: CallOptions = {}): Promise<void> {
    await runCommand([...this.options.install, request.imagePath, request.version], {
      ...options,
      what: `the install command for ${request.version}`,
      env: { ...process.env, IOTGW_IMAGE: request.imagePath, IOTGW_VERSION: request.version, IOTGW_FROM_VERSION: request.fromVersion },
    });
  }

  async rollback(request: RollbackRequest, options: CallOptions = {}): Promise<void> {
    if (!this.options.rollback) throw new SelfUpdateError('no rollback command is configured (selfUpdate.installer.rollback)');
    await runCommand([...this.options.rollback, request.version, request.toVersion], {
      ...options,
      what: `the rollback command to ${request.toVersion}`,
      env: { ...process.env, IOTGW_VERSION: request.version, IOTGW_TO_VERSION: request.toVersion },
    });
  }
}
