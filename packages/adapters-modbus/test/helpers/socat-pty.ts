import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A pty pair from socat, like a serial cable: `gateway` for the link, `device` for the server.
 * `pull` kills socat (both ends vanish, as a USB adapter pulled out); `plug` makes a new pair
 * at the same paths.
 */
export class PtyCable {
  readonly dir = mkdtempSync(join(tmpdir(), 'iotgw-modbus-'));
  readonly gateway = join(this.dir, 'gw');
  readonly device = join(this.dir, 'dev');
  #child: ChildProcess | undefined;

  static async create(): Promise<PtyCable> {
    const cable = new PtyCable();
    await cable.plug();
    return cable;
  }

  async plug(): Promise<void> {
    const child = spawn('socat', [`pty,raw,echo=0,link=${this.gateway}`, `pty,raw,echo=0,link=${this.device}`], { stdio: 'ignore' });
    this.#child = child;
    // Without socat on PATH spawn reports ENOENT as an 'error' event: unheard, it kills the process.
    const heard: { error?: Error } = {};
    child.once('error', (error) => (heard.error = error));
    for (let i = 0; i < 500; i++) {
      if (existsSync(this.gateway) && existsSync(this.device)) return;
      if (child.exitCode !== null || heard.error) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const why = heard.error?.message ?? (child.exitCode !== null ? `socat exited with ${child.exitCode}` : 'not within 5 s');
    throw new Error(`socat did not create the pty pair (${why}; is socat installed? apt-get install socat)`);
  }

  async pull(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    for (let i = 0; i < 100 && (existsSync(this.gateway) || existsSync(this.device)); i++) await new Promise((r) => setTimeout(r, 10));
  }

  async dispose(): Promise<void> {
    await this.pull();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
