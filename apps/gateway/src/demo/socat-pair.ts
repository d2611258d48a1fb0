import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LinkError } from '@iotgw/domain';

/** The socat binary on PATH, or undefined (the demo then falls back to in-memory pipes). */
export function findSocat(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path !== '' ? path : undefined;
}

/** A real pty pair, like a serial cable: `gatewaySide` for the link, `deviceSide` for the subdevice. */
export class SocatPair {
  readonly gatewaySide: string;
  readonly deviceSide: string;
  #child: ChildProcess | undefined;

  constructor(
    private readonly socat: string,
    dir: string,
    name: string,
  ) {
    this.gatewaySide = join(dir, `${name}-gw`);
    this.deviceSide = join(dir, `${name}-dev`);
  }

  async start(): Promise<void> {
    const child = spawn(this.socat, [`pty,raw,echo=0,link=${this.gatewaySide}`, `pty,raw,echo=0,link=${this.deviceSide}`], { stdio: 'ignore' });
    this.#child = child;
    // socat creates the links a few ms after start; poll rather than guess.
    for (let i = 0; i < 500; i++) {
      if (existsSync(this.gatewaySide) && existsSync(this.deviceSide)) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.stop();
    throw new LinkError('link.unavailable', `socat did not create the pty pair ${this.gatewaySide} <-> ${this.deviceSide}`);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
