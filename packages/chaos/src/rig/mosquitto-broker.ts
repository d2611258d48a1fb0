import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { isAlive, sleep, terminate } from './processes.js';

export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A mosquitto of the rig's own on 127.0.0.1, anonymous and without ACLs: a broker on which
 * anyone may publish anything on any topic, which is what a hostile hub looks like to a gateway.
 */
export class MosquittoBroker {
  #child: ChildProcess | undefined;

  private constructor(readonly url: string) {}

  static async start(dir: string): Promise<MosquittoBroker> {
    if (!MOSQUITTO_BIN) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    // No size limit on messages (mosquitto's default): the gateway must protect itself.
    await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n`);
    const broker = new MosquittoBroker(`mqtt://127.0.0.1:${port}`);
    const child = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: 'ignore' });
    broker.#child = child;
    for (let i = 0; i < 400; i++) {
      if (await accepts(port)) return broker;
      if (!isAlive(child)) break;
      await sleep(25);
    }
    await broker.close();
    throw new Error(`mosquitto did not listen on ${port}`);
  }

  async close(): Promise<void> {
    await terminate(this.#child, 'SIGTERM', 5_000);
  }
}
