import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FirmwareFaults, OtaJobRecord, AclDenial, Binding } from '@iotgw/hub-emulator';
import { IpcClient } from './ipc.js';
import type { HubProcessOptions } from './hub-process.js';
import { isAlive, terminate } from './processes.js';

const entry = fileURLToPath(new URL('./hub-process.js', import.meta.url));

export interface HubState {
  readonly online: string[];
  readonly bindings: Binding[];
  readonly denials: AclDenial[];
  readonly authFailures: number;
  readonly jobs: OtaJobRecord[];
  readonly versions: Record<string, string>;
}

export interface FirmwareRef {
  readonly id: string;
  readonly version: string;
  readonly size: number;
  readonly md5: string;
}

/**
 * The hub emulator in a child process. Each start gets fresh ports (the TCP proxy in front of it
 * follows), the same registry file and the same received file, as a restarted hub keeps its
 * device registry and the counter keeps counting.
 */
export class HubHandle {
  #child: ChildProcess | undefined;
  #ipc: IpcClient | undefined;
  #mqttPort = 0;
  #mqttHost = '127.0.0.1';
  /** Every start and kill, for the report. */
  readonly events: Array<{ at: number; what: string }> = [];

  constructor(private readonly options: HubProcessOptions) {}

  get running(): boolean {
    return isAlive(this.#child);
  }

  get mqttPort(): number {
    return this.#mqttPort;
  }

  /** Where devices connect: the embedded broker, or the external one. */
  get mqttHost(): string {
    return this.#mqttHost;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const child = fork(entry, [], { env: { ...process.env, CHAOS_HUB_OPTIONS: JSON.stringify(this.options) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    this.#child = child;
    this.#ipc = new IpcClient(child, 'hub');
    const ready = await new Promise<{ mqtt: string }>((resolve, reject) => {
      this.#ipc?.once('ready', resolve);
      child.once('exit', (code) => reject(new Error(`hub exited with ${code} before it was ready: ${stderr}`)));
    });
    this.#mqttPort = Number(new URL(ready.mqtt).port);
    this.#mqttHost = new URL(ready.mqtt).hostname;
    this.events.push({ at: Date.now(), what: 'start' });
  }

  /** Kills the hub process with `signal` (SIGKILL: no goodbye to anyone) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.events.push({ at: Date.now(), what: `kill ${signal}` });
    await terminate(this.#child, signal);
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.start();
  }

  state(): Promise<HubState> {
    return this.#request('state');
  }

  uploadFirmware(path: string, version: string): Promise<FirmwareRef> {
    return this.#request('uploadFirmware', { path, version }, 60_000);
  }

  /** Pushes `update_firmware` to a subdevice; resolves with the hub's job id. */
  pushFirmware(subdevice: string, firmwareId: string): Promise<string> {
    return this.#request('pushFirmware', { subdevice, firmwareId });
  }

  setFirmwareFaults(faults: FirmwareFaults): Promise<FirmwareFaults> {
    return this.#request('faults', faults);
  }

  consoleUnbind(gateway: string, subdevice: string): Promise<boolean> {
    return this.#request('consoleUnbind', { gateway, subdevice });
  }

  consoleBind(gateway: string, subdevice: string): Promise<boolean> {
    return this.#request('consoleBind', { gateway, subdevice });
  }

  async close(): Promise<void> {
    await terminate(this.#child, 'SIGTERM', 5_000);
  }

  #request<T>(command: string, args: unknown = {}, timeoutMs?: number): Promise<T> {
    if (!this.#ipc) return Promise.reject(new Error('hub was never started'));
    return this.#ipc.request<T>(command, args, timeoutMs);
  }
}
