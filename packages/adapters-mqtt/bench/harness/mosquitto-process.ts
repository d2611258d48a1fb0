import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * mosquitto in its own process with its default settings: the config only opens a listener on
 * 127.0.0.1 and allows anonymous clients (no set_tcp_nodelay, default inflight/queue limits).
 */
export class MosquittoProcess {
  port = 0;
  #dir = '';
  #child: ChildProcess | undefined;

  static available(): boolean {
    return MOSQUITTO !== undefined;
  }

  /** `extra`: config lines beyond the defaults (the scale bench lifts the queue limit of its counting subscriber). */
  async start(port?: number, extra = ''): Promise<void> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
    if (!this.#dir) {
      this.#dir = await mkdtemp(join(tmpdir(), 'iotgw-bench-mosquitto-'));
      await chmod(this.#dir, 0o777);
    }
    this.port = port ?? (this.port || (await freePort()));
    await writeFile(join(this.#dir, 'mosquitto.conf'), `listener ${this.port} 127.0.0.1\nallow_anonymous true\nlog_dest none\n${extra}`);
    const child = spawn(MOSQUITTO, ['-c', join(this.#dir, 'mosquitto.conf')], { stdio: 'ignore' });
    this.#child = child;
    const end = Date.now() + 10_000;
    while (!(await accepting(this.port))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
      if (Date.now() > end) throw new Error('mosquitto did not start within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Its pid, to read its CPU time from /proc. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
