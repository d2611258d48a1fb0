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

/** socat children still running, killed when the process exits however it exits (a forced exit included). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** How long a socat gets to go after SIGTERM before it is killed. */
const TERM_GRACE_MS = 500;

/** A real pty pair, like a serial cable: `gatewaySide` for the link, `deviceSide` for the subdevice. */
export class SocatPair {
  readonly gatewaySide: string;
  readonly deviceSide: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

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
    running.add(child);
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        running.delete(child);
        resolve();
      });
      // A spawn failure emits 'error' (and maybe no 'exit'): the pair is as gone as it will get.
      child.once('error', () => {
        running.delete(child);
        resolve();
      });
    });
    // socat creates the links a few ms after start; poll rather than guess.
    for (let i = 0; i < 500; i++) {
      if (existsSync(this.gatewaySide) && existsSync(this.deviceSide)) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.stop();
    throw new LinkError('link.unavailable', `socat did not create the pty pair ${this.gatewaySide} <-> ${this.deviceSide}`);
  }

  /** Unplugs the cable: SIGTERM, then SIGKILL if socat has not gone within half a second. Resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.#exited) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), TERM_GRACE_MS)));
      if ((await Promise.race([this.#exited, late])) === 'late') child.kill('SIGKILL');
      clearTimeout(timer);
    }
    await this.#exited;
    this.#child = undefined;
  }

  /** Pulls the plug at once (SIGKILL), e.g. when something hangs on the pty; `stop` still waits for the exit. */
  kill(): void {
    this.#child?.kill('SIGKILL');
  }
}
