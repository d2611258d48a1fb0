import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { OversizePublishFilter } from './oversize-publish-filter.js';

export interface HubSocketOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly rejectUnauthorized: boolean;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/**
 * The connection to the hub as mqtt.js sees it: what the hub sends goes through the oversize
 * filter before mqtt.js parses it; what mqtt.js writes goes straight to the socket. `onCut` hears
 * why the filter gave up on the connection (it is destroyed right after).
 */
export class FilteredHubSocket extends Duplex {
  readonly #socket: Socket | TLSSocket;

  constructor(options: HubSocketOptions, filter: OversizePublishFilter, onCut: (reason: string) => void) {
    super({ allowHalfOpen: false });
    const socket = options.tls
      ? tlsConnect({
          host: options.host,
          port: options.port,
          // SNI needs a name; an address is sent without it, as mqtt.js does.
          ...(isIP(options.host) === 0 ? { servername: options.host } : {}),
          rejectUnauthorized: options.rejectUnauthorized,
          ...(options.ca ? { ca: options.ca } : {}),
          ...(options.cert ? { cert: options.cert } : {}),
          ...(options.key ? { key: options.key } : {}),
        })
      : tcpConnect({ host: options.host, port: options.port });
    // Nagle off: the PUBACK of a hub echo is a small segment, and the next reading written right
    // behind it waited for the hub's delayed ACK (Linux: 40 ms). Seen at one reading at a time:
    // 155-620 readings of 10,000 held 10-48 ms with the service heap in 3 of 3 rounds, none with
    // Nagle off (2026-12-01); bare mqtt.js leaves it on too. Throughput at 1000 and all in flight
    // was the same within noise either way.
    socket.setNoDelay(true);
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      const filtered = filter.feed(chunk);
      if ('cut' in filtered) {
        onCut(filtered.cut);
        this.destroy();
        return;
      }
      let room = true;
      for (const piece of filtered.pass) room = this.push(piece) && room;
      if (!room) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error: Error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#socket.write(chunk)) callback();
    else this.#socket.once('drain', () => callback());
  }

  /** mqtt.js writes a packet in pieces while corked: they leave in one segment. */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#socket.cork();
    let room = true;
    for (const { chunk } of chunks) room = this.#socket.write(chunk);
    this.#socket.uncork();
    if (room) callback();
    else this.#socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }
}
