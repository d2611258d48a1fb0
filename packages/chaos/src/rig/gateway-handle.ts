import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eachLine, exited, isAlive, rssOf, sleep, terminate } from './processes.js';

/** The `iotgw` CLI of this repo (apps/gateway), run exactly as a user runs it. */
export const IOTGW_BIN = fileURLToPath(new URL('./bin/iotgw.js', import.meta.resolve('@iotgw/gateway')));

/**
 * Node options for the gateway process only, space-separated (`IOTGW_CHAOS_GATEWAY_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"`): NODE_OPTIONS refuses --cpu-prof, and would profile every rig process.
 */
const GATEWAY_NODE_ARGS = (process.env['IOTGW_CHAOS_GATEWAY_NODE_ARGS'] ?? '').split(' ').filter((a) => a.length > 0);

export interface GatewayExit {
  readonly at: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines it printed, to say why. */
  readonly lastLines: string[];
}

export interface GatewayHandleOptions {
  readonly deviceInfoPath: string;
  readonly configPath: string;
  /** Secrets and anything else `iotgw start` reads from the environment. */
  readonly env: Record<string, string>;
  /** Every line the gateway prints, appended. */
  readonly logFile: string;
  /** Restart a gateway that exited on its own after this long, as systemd's Restart=always would. Default 1000 ms; 0 = never. */
  readonly restartDelayMs?: number;
}

/**
 * `iotgw start` as a child process with a real config. Like a service manager it restarts a
 * gateway that exits on its own (and records each such exit: the scenarios fail on them), while
 * kills the scenario asks for are expected. It counts the log lines and samples the RSS.
 */
export class GatewayHandle {
  /** Exits the rig did not ask for. */
  readonly unexpectedExits: GatewayExit[] = [];
  readonly events: Array<{ at: number; what: string }> = [];
  #child: ChildProcess | undefined;
  #expectingExit = false;
  #controlUrl: string | undefined;
  #running = false;
  #closed = false;
  #lines = 0;
  #logBytes = 0;
  #levels = new Map<string, number>();
  #recent: string[] = [];
  #peakRss = 0;
  #sampler: NodeJS.Timeout | undefined;
  #restart: NodeJS.Timeout | undefined;
  #log: number | undefined;

  constructor(private readonly options: GatewayHandleOptions) {}

  get pid(): number | undefined {
    return isAlive(this.#child) ? this.#child.pid : undefined;
  }

  /** True once it printed that it runs, until it exits. */
  get running(): boolean {
    return this.#running && isAlive(this.#child);
  }

  get controlUrl(): string | undefined {
    return this.#controlUrl;
  }

  get logLines(): number {
    return this.#lines;
  }

  get logBytes(): number {
    return this.#logBytes;
  }

  /** Log lines by level (JSON lines carry "level"; anything else counts as "other"). */
  get logLevels(): Record<string, number> {
    return Object.fromEntries(this.#levels);
  }

  get peakRss(): number {
    return this.#peakRss;
  }

  get recentLines(): string[] {
    return [...this.#recent];
  }

  rss(): number | undefined {
    return rssOf(this.pid);
  }

  /** Spawns `iotgw start` and resolves once it says it runs (rejects if it exits first or takes longer than `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    this.#spawn();
    await this.waitRunning(timeoutMs);
  }

  /** Spawns without waiting: for a start the hub will not answer yet. */
  spawnOnly(): void {
    this.#spawn();
  }

  async waitRunning(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.running) {
      if (Date.now() > deadline) throw new Error(`the gateway did not start within ${timeoutMs} ms; last lines:\n${this.#recent.slice(-10).join('\n')}`);
      await sleep(50);
    }
  }

  /** Sends a signal the scenario means: the exit that may follow is expected (no restart). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.events.push({ at: Date.now(), what: `kill ${signal}` });
    this.#expectingExit = true;
    clearTimeout(this.#restart);
    await terminate(this.#child, signal, 30_000);
  }

  /**
   * An orderly stop (SIGTERM), as a service manager sends it: how long the gateway took to exit,
   * or undefined when it was still running after `graceMs` (it is then killed).
   */
  async stop(graceMs = 15_000): Promise<number | undefined> {
    const child = this.#child;
    if (!isAlive(child)) return 0;
    this.events.push({ at: Date.now(), what: 'SIGTERM' });
    this.#expectingExit = true;
    clearTimeout(this.#restart);
    const started = Date.now();
    const gone = exited(child);
    child.kill('SIGTERM');
    const inTime = await Promise.race([gone.then(() => true), sleep(graceMs).then(() => false)]);
    if (inTime) return Date.now() - started;
    await terminate(child, 'SIGKILL');
    return undefined;
  }

  /** SIGSTOP: the process freezes (timers, sockets, everything) until `resume()`. */
  freeze(): void {
    this.events.push({ at: Date.now(), what: 'SIGSTOP' });
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.events.push({ at: Date.now(), what: 'SIGCONT' });
    this.#child?.kill('SIGCONT');
  }

  /** GET on the control endpoint; undefined when it does not answer. */
  async get<T>(path: string, timeoutMs = 5_000): Promise<T | undefined> {
    if (!this.#controlUrl || !this.running) return undefined;
    try {
      const res = await fetch(`${this.#controlUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      return (await res.json()) as T;
    } catch {
      return undefined;
    }
  }

  /** POST /subdevices/{op} as `iotgw subdevices` does; the HTTP status and body. */
  async operate(op: 'bind' | 'unbind' | 'online' | 'offline', subdevices: string[], timeoutMs = 30_000): Promise<{ status: number; body: unknown }> {
    if (!this.#controlUrl) return { status: 0, body: 'no control endpoint' };
    try {
      const res = await fetch(`${this.#controlUrl}/subdevices/${op}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subdevices }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.status, body: await res.json().catch(() => undefined) };
    } catch (error) {
      return { status: 0, body: (error as Error).message };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restart);
    clearInterval(this.#sampler);
    this.#expectingExit = true;
    await terminate(this.#child, 'SIGTERM', 15_000);
    if (this.#log !== undefined) closeSync(this.#log);
    this.#log = undefined;
  }

  #spawn(): void {
    if (isAlive(this.#child)) return;
    this.#expectingExit = false;
    this.#running = false;
    this.#controlUrl = undefined;
    const child = spawn(process.execPath, [...GATEWAY_NODE_ARGS, IOTGW_BIN, 'start', '--device-info', this.options.deviceInfoPath, '--config', this.options.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.options.env },
    });
    this.#child = child;
    this.events.push({ at: Date.now(), what: 'start' });
    const onLine = (line: string): void => this.#onLine(line);
    eachLine(child.stdout, onLine);
    eachLine(child.stderr, onLine);
    clearInterval(this.#sampler);
    this.#sampler = setInterval(() => {
      const rss = rssOf(child.pid);
      if (rss !== undefined && rss > this.#peakRss) this.#peakRss = rss;
    }, 200);
    exited(child)
      .then(({ code, signal }) => {
        this.#running = false;
        if (this.#child !== child || this.#expectingExit || this.#closed) return;
        this.unexpectedExits.push({ at: Date.now(), code, signal, lastLines: this.#recent.slice(-15) });
        this.events.push({ at: Date.now(), what: `exited on its own (${code ?? signal})` });
        const delay = this.options.restartDelayMs ?? 1_000;
        if (delay > 0) this.#restart = setTimeout(() => this.#spawn(), delay);
      })
      .catch(() => undefined);
  }

  #onLine(line: string): void {
    this.#lines += 1;
    this.#logBytes += Buffer.byteLength(line) + 1;
    this.#log ??= openSync(this.options.logFile, 'a');
    writeSync(this.#log, `${line}\n`);
    this.#recent.push(line);
    if (this.#recent.length > 200) this.#recent.shift();
    const level = /"level":"(\w+)"/.exec(line)?.[1] ?? 'other';
    this.#levels.set(level, (this.#levels.get(level) ?? 0) + 1);
    const control = /control, health and metrics: (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
    if (control) this.#controlUrl = control;
    if (/iotgw: gateway \S+ running with/.test(line)) this.#running = true;
  }
}
