import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real pty pair from socat: `a` for the gateway, `b` for the simulated subdevice(s). */
export class SocatPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'iotgw-serial-'));
  readonly a = join(this.dir, 'a');
  readonly b = join(this.dir, 'b');
  #child: ChildProcess | undefined;

  async start(): Promise<void> {
    if (!existsSync('/usr/bin/socat')) throw new Error('socat is required for the serial tests (apt-get install socat)');
    const child = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], {
      stdio: 'ignore',
    });
    this.#child = child;
    for (let i = 0; i < 200; i++) {
      if (existsSync(this.a) && existsSync(this.b)) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('socat did not create the pty links');
  }

  /** Kill socat (the "cable" is pulled: both ptys vanish). */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    for (let i = 0; i < 100 && (existsSync(this.a) || existsSync(this.b)); i++) await new Promise((r) => setTimeout(r, 10));
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
