import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  /** Bytes the gateway sent before the upstream connection existed. */
  readonly early: Buffer[];
}

export interface ProxyStats {
  connections: number;
  bytesUp: number;
  bytesDown: number;
}

/**
 * A TCP proxy between the gateway and the hub, listening on 127.0.0.1 (port 0 = any free port).
 * `target()` is asked at every new connection, so it follows a hub that restarted on a new port.
 *
 * - `partition()` black-holes traffic as a network partition does: no byte crosses in either
 *   direction and nothing is closed or refused; both sides see silence (and their keepalives
 *   decide). Bytes are held, never dropped or reordered, so each TCP stream stays intact; a
 *   connection opened during the partition hangs. `heal()` lets everything flow again.
 * - `cut()` resets every connection at once (a NAT box or modem dropping its table).
 */
export class TcpProxy {
  readonly stats: ProxyStats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  readonly #pairs = new Set<Pair>();
  #server: Server | undefined;
  #partitioned = false;

  constructor(private readonly target: () => { host: string; port: number }) {}

  get port(): number {
    const address = this.#server?.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get partitioned(): boolean {
    return this.#partitioned;
  }

  get openConnections(): number {
    return this.#pairs.size;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }

  partition(): void {
    this.#partitioned = true;
    for (const pair of this.#pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  heal(): void {
    this.#partitioned = false;
    for (const pair of this.#pairs) {
      if (!pair.upstream) this.#connect(pair);
      pair.client.resume();
      pair.upstream?.resume();
    }
  }

  cut(): void {
    for (const pair of [...this.#pairs]) this.#drop(pair, true);
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.stats.connections += 1;
    const pair: Pair = { client, upstream: undefined, early: [] };
    this.#pairs.add(pair);
    client.setNoDelay(true);
    client.on('error', () => this.#drop(pair, false));
    client.on('close', () => this.#drop(pair, false));
    client.on('data', (chunk: Buffer) => {
      this.stats.bytesUp += chunk.length;
      if (pair.upstream) pair.upstream.write(chunk);
      else pair.early.push(chunk);
    });
    if (this.#partitioned) client.pause();
    else this.#connect(pair);
  }

  #connect(pair: Pair): void {
    const { host, port } = this.target();
    // Until the hub answers, the gateway's bytes wait in its socket (paused), never lost.
    pair.client.pause();
    const upstream = createConnection({ host, port });
    pair.upstream = upstream;
    for (const chunk of pair.early.splice(0)) upstream.write(chunk);
    upstream.setNoDelay(true);
    upstream.on('connect', () => {
      if (!this.#partitioned) pair.client.resume();
    });
    upstream.on('data', (chunk: Buffer) => {
      this.stats.bytesDown += chunk.length;
      pair.client.write(chunk);
    });
    upstream.on('error', () => this.#drop(pair, false));
    upstream.on('close', () => this.#drop(pair, false));
    if (this.#partitioned) upstream.pause();
  }

  #drop(pair: Pair, reset: boolean): void {
    if (!this.#pairs.delete(pair)) return;
    for (const socket of [pair.client, pair.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
