import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A real mosquitto on a free port, anonymous (the emulator's own auth is off on an external broker). */
export interface Mosquitto {
  readonly url: string;
  /** Stops the broker and starts it again on the same port (sessions persist on disk). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<Mosquitto> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed');
  const binary = MOSQUITTO;
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\n`);
  let child: ChildProcess | undefined;
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  };
  const launch = async (): Promise<void> => {
    const c = spawn(binary, ['-c', conf], { stdio: 'ignore' });
    child = c;
    for (let i = 0; i < 200; i++) {
      if (await accepts(port)) return;
      if (c.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await kill();
    throw new Error(`mosquitto did not listen on ${port}`);
  };
  const stop = async (): Promise<void> => {
    await kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    restart: async () => {
      await kill();
      await launch();
    },
    stop,
  };
}
