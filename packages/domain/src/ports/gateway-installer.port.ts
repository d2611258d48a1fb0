import type { CallOptions } from '../call-options.js';

/** A verified image of the gateway's own software, ready to install. */
export interface InstallRequest {
  /** A file holding the whole image, MD5-checked against the hub's job. */
  readonly imagePath: string;
  readonly version: string;
  /** The version running now (where a rollback goes back to). */
  readonly fromVersion: string;
}

export interface RollbackRequest {
  /** The version that did not become healthy. */
  readonly version: string;
  /** The version to go back to. */
  readonly toVersion: string;
}

/**
 * Installs the gateway's own software: what the product chooses (a command, the built-in
 * npm-tarball installer, a hook in code).
 *
 * Contract:
 * - `currentVersion` is the version of the software running now (reported to the hub).
 * - `install` resolves once the new version is in place and starts at the next start of the
 *   process (the gateway then exits for its supervisor to restart it); it rejects with
 *   SelfUpdateError carrying the installer's own words, and then nothing changed.
 * - `rollback` puts `toVersion` back in place for the next start; it rejects with SelfUpdateError.
 */
export interface GatewayInstaller {
  currentVersion(options?: CallOptions): Promise<string>;
  install(request: InstallRequest, options?: CallOptions): Promise<void>;
  rollback(request: RollbackRequest, options?: CallOptions): Promise<void>;
}
