import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, sleep, terminate } from './processes.js';

/** The socat binary on PATH, or undefined. */
export function findSocat(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v socat'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path !== '' ? path : undefined;
}

/**
 * A serial cable between the gateway and one subdevice: a socat pty pair with stable link paths.
 * `cut()` kills socat (both ptys vanish, as when a cable is pulled); `start()` again plugs in a
 * new pair on the same paths, which both ends reopen.
 */
export class SocatLink {
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

  get up(): boolean {
    return isAlive(this.#child);
  }

  async start(): Promise<void> {
    if (this.up) return;
    // Stale links from a killed socat would look like a ready pair.
    await rm(this.gatewaySide, { force: true });
    await rm(this.deviceSide, { force: true });
    const child = spawn(this.socat, [`pty,raw,echo=0,link=${this.gatewaySide}`, `pty,raw,echo=0,link=${this.deviceSide}`], { stdio: 'ignore' });
    this.#child = child;
    for (let i = 0; i < 500; i++) {
      if (existsSync(this.gatewaySide) && existsSync(this.deviceSide)) return;
      if (!isAlive(child)) break;
      await sleep(10);
    }
    await terminate(child, 'SIGKILL');
    throw new Error(`socat did not create the pty pair ${this.gatewaySide} <-> ${this.deviceSide}`);
  }

  /** Pulls the cable: socat dies at once, taking both ptys with it. */
  async cut(): Promise<void> {
    await terminate(this.#child, 'SIGKILL');
  }

  async close(): Promise<void> {
    await terminate(this.#child, 'SIGTERM', 2_000);
  }
}
