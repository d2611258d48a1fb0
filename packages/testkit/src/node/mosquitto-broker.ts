import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian and others install mosquitto; undefined when it is not installed. */
export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

export interface MosquittoOptions {
  /** Listen here instead of a free port of 127.0.0.1. */
  readonly port?: number;
  /** Keep sessions and queued messages on disk across `restart` (saved on SIGTERM). Default false. */
  readonly persistence?: boolean;
  /** Config lines beyond the defaults (anonymous listener on 127.0.0.1, no logging). */
  readonly extraConfig?: string;
  /** How `stop` ends it: SIGTERM lets it save its persistence file, SIGKILL is a crash. Default SIGTERM. */
  readonly stopSignal?: 'SIGTERM' | 'SIGKILL';
  /** How long `start` waits for it to accept connections. Default 10 s. */
  readonly startTimeoutMs?: number;
}

/** A free TCP port of 127.0.0.1 (free when asked: bind it soon). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A real mosquitto in its own process for tests, benches and the chaos rig: anonymous, on
 * 127.0.0.1, default limits unless `extraConfig` says otherwise. Stoppable and restartable on the
 * same port (a broker restart as a gateway meets it); `dispose` removes its directory.
 */
export class MosquittoBroker {
  readonly #options: MosquittoOptions;
  #port = 0;
  #dir = '';
  #child: ChildProcess | undefined;

  constructor(options: MosquittoOptions = {}) {
    this.#options = options;
  }

  static available(): boolean {
    return MOSQUITTO_BIN !== undefined;
  }

  /** Starts one; on failure nothing is left behind. */
  static async launch(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
    const broker = new MosquittoBroker(options);
    try {
      await broker.start();
    } catch (error) {
      await broker.dispose();
      throw error;
    }
    return broker;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.#port}`;
  }

  /** Its pid, to read its CPU time from /proc. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts it (again, on the same port and config, after `stop`). */
  async start(): Promise<void> {
    if (!MOSQUITTO_BIN) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
    if (!this.#dir) {
      this.#dir = await mkdtemp(join(tmpdir(), 'iotgw-mosquitto-'));
      // Started as root, mosquitto drops to its own user, which must be able to write its db here.
      await chmod(this.#dir, 0o777);
      this.#port = this.#options.port ?? (await freePort());
      const persistence = this.#options.persistence ? `persistence true\npersistence_location ${this.#dir}/\n` : 'persistence false\n';
      await writeFile(join(this.#dir, 'mosquitto.conf'), `listener ${this.#port} 127.0.0.1\nallow_anonymous true\nlog_dest none\n${persistence}${this.#options.extraConfig ?? ''}\n`);
    }
    const child = spawn(MOSQUITTO_BIN, ['-c', join(this.#dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.#child = child;
    const end = Date.now() + (this.#options.startTimeoutMs ?? 10_000);
    while (!(await accepts(this.#port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}) before listening on ${this.#port}`);
      if (Date.now() > end) {
        await this.stop();
        throw new Error(`mosquitto did not listen on ${this.#port} within ${this.#options.startTimeoutMs ?? 10_000} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(this.#options.stopSignal ?? 'SIGTERM');
    await exited;
  }

  /** Stop and start on the same port (sessions survive with `persistence`). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.#dir = '';
  }
}
