import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpcClient } from './ipc.js';
import type { SubdeviceProcessOptions } from './subdevice-process.js';
import { isAlive, terminate } from './processes.js';
import type { SocatLink } from './socat-link.js';

const entry = fileURLToPath(new URL('./subdevice-process.js', import.meta.url));

export interface SubdeviceState {
  readonly connected: boolean;
  readonly version: string;
  readonly portOpen: boolean;
  readonly queued: number;
  readonly generated: number;
  readonly acked: number;
  readonly droppedBySubdevice: number;
  readonly offersFrom: number[];
}

/** One simulated subdevice process on its socat cable. */
export class SubdeviceHandle {
  #child: ChildProcess | undefined;
  #ipc: IpcClient | undefined;
  #boot = 0;
  /** The version it last said HELLO with (or applied). */
  lastVersion: string;

  constructor(
    readonly key: string,
    readonly link: SocatLink,
    private readonly options: Omit<SubdeviceProcessOptions, 'path' | 'boot'>,
  ) {
    this.lastVersion = options.version;
  }

  get deviceName(): string {
    return this.options.deviceName;
  }

  get ratePerSec(): number {
    return this.options.ratePerSec;
  }

  get running(): boolean {
    return isAlive(this.#child);
  }

  get ipc(): IpcClient {
    if (!this.#ipc) throw new Error(`${this.key} was never started`);
    return this.#ipc;
  }

  /** Powers the subdevice on; it starts producing at once and says HELLO once its port opens. */
  start(): void {
    if (this.running) return;
    this.#boot += 1;
    const options: SubdeviceProcessOptions = { ...this.options, version: this.lastVersion, path: this.link.deviceSide, boot: this.#boot };
    const child = fork(entry, [], {
      env: { ...process.env, CHAOS_SUBDEVICE_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.#child = child;
    this.#ipc = new IpcClient(child, this.key);
    this.#ipc.on('connected', (info: { version: string }) => (this.lastVersion = info.version));
  }

  state(): Promise<SubdeviceState> {
    return this.ipc.request('state');
  }

  /** Stops measuring and waits until everything measured was acknowledged by the gateway. */
  stopProducing(timeoutMs = 30_000): Promise<{ queued: number; generated: number; acked: number }> {
    return this.ipc.request('stopProducing', { timeoutMs }, timeoutMs + 5_000);
  }

  rehello(): Promise<string> {
    return this.ipc.request('rehello');
  }

  /** Kills the subdevice process (its unacknowledged readings die with it: they were never produced). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await terminate(this.#child, signal);
  }

  async close(): Promise<void> {
    await terminate(this.#child, 'SIGTERM', 3_000);
  }
}
