import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { verifyKeyAuth } from '@iotgw/protocol-tencent';

export interface BrokerPublish {
  readonly clientId: string | undefined;
  readonly topic: string;
  readonly payload: Buffer;
}

/**
 * A real aedes broker on 127.0.0.1 that checks key auth like the hub (username `hub` is the
 * responder), records every publish server-side, and can be stopped and restarted on its port.
 */
export class TestBroker {
  readonly published: BrokerPublish[] = [];
  /** Every SUBSCRIBE a client made, topic by topic, in order. */
  readonly subscribed: Array<{ readonly clientId: string; readonly topic: string; readonly qos: number }> = [];
  /** Every UNSUBSCRIBE a client made, topic by topic, in order. */
  readonly unsubscribed: Array<{ readonly clientId: string; readonly topic: string }> = [];
  /** Topics in each SUBSCRIBE and UNSUBSCRIBE packet, in arrival order. */
  readonly subscribePackets: number[] = [];
  readonly unsubscribePackets: number[] = [];
  /** The client id of every accepted connection, in order. */
  readonly connected: string[] = [];
  port = 0;
  /** While set, the gateway's publishes wait (no PUBACK) until `releasePublishes()`. */
  holdPublishes = false;
  #heldPublishes: Array<() => void> = [];
  #server: Server | undefined;
  #broker: Aedes | undefined;
  readonly #sockets = new Set<Socket>();

  /** With `tls`, the broker listens with TLS; clients with a verified certificate need no password. */
  constructor(
    readonly deviceSecrets: ReadonlyMap<string, string>,
    readonly tls?: TlsOptions,
  ) {}

  async start(port = 0): Promise<void> {
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        if (username === 'hub') return done(null, true);
        const conn = client.conn as Partial<TLSSocket>;
        if (conn.authorized === true && conn.getPeerCertificate?.().subject?.CN === client.id) return done(null, true);
        const secret = this.deviceSecrets.get(client.id);
        const ok =
          secret !== undefined &&
          username !== undefined &&
          password !== undefined &&
          verifyKeyAuth({ clientId: client.id, username, password: new Uint8Array(password), deviceSecret: secret }).ok;
        if (ok) return done(null, true);
        const error = Object.assign(new Error('bad username or password'), { returnCode: 4 });
        return done(error, false);
      },
      authorizePublish: (client, _packet, done) => {
        if (this.holdPublishes && client && client.id !== undefined && !client.id.startsWith('hub')) this.#heldPublishes.push(() => done(null));
        else done(null);
      },
    });
    broker.on('subscribe', (subscriptions, client) => {
      this.subscribePackets.push(subscriptions.length);
      for (const sub of subscriptions) this.subscribed.push({ clientId: client.id, topic: sub.topic, qos: sub.qos });
    });
    broker.on('unsubscribe', (topics, client) => {
      this.unsubscribePackets.push(topics.length);
      for (const topic of topics) this.unsubscribed.push({ clientId: client.id, topic });
    });
    broker.on('client', (client) => this.connected.push(client.id));
    broker.on('publish', (packet, client) => {
      if (client) this.published.push({ clientId: client.id, topic: packet.topic, payload: Buffer.from(packet.payload) });
    });
    const onSocket = (socket: Socket): void => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    };
    const server = this.tls ? createTlsServer(this.tls, onSocket) : createServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
    this.#broker = broker;
  }

  /** Lets the publishes held by `holdPublishes` through (and stops holding). */
  releasePublishes(): void {
    this.holdPublishes = false;
    for (const release of this.#heldPublishes.splice(0)) release();
  }

  /** Hard stop: every client connection is cut. */
  async stop(): Promise<void> {
    this.releasePublishes();
    const server = this.#server;
    const broker = this.#broker;
    this.#server = undefined;
    this.#broker = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
  }
}
