import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FirmwareJob } from '@iotgw/domain';

/** A small multi-file origin with Range support, for the contract suite's harness. */
export interface OriginServer {
  serve(name: string, bytes: Uint8Array, version?: string): FirmwareJob;
  jobFor(name: string, status: number): FirmwareJob;
  dropNextResponseAfter(bytes: number): void;
  rangeStartsFor(url: string): number[];
  close(): Promise<void>;
}

export async function startOriginServer(): Promise<OriginServer> {
  const files = new Map<string, Uint8Array>();
  const statuses = new Map<string, number>();
  const starts = new Map<string, number[]>();
  const sockets = new Set<Socket>();
  let dropAfter: number | undefined;

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? '/', 'http://origin').pathname;
    const status = statuses.get(path);
    const bytes = files.get(path);
    if (status || !bytes) {
      response.writeHead(status ?? 404).end();
      return;
    }
    const match = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match?.[2] ? Math.min(bytes.length, Number(match[2]) + 1) : bytes.length;
    starts.set(path, [...(starts.get(path) ?? []), start]);
    response.writeHead(match ? 206 : 200, {
      'content-length': String(end - start),
      ...(match ? { 'content-range': `bytes ${start}-${end - 1}/${bytes.length}` } : {}),
    });
    const body = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    if (dropAfter !== undefined) {
      const cut = dropAfter;
      dropAfter = undefined;
      response.write(body.subarray(0, cut), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  };
  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const job = (name: string, bytes: Uint8Array, version: string): FirmwareJob => ({
    version,
    url: `${base}/${name}?sign=token`,
    md5: createHash('md5').update(bytes).digest('hex'),
    size: bytes.length,
  });
  return {
    serve(name, bytes, version = '1.0.0') {
      files.set(`/${name}`, bytes);
      return job(name, bytes, version);
    },
    jobFor(name, status) {
      statuses.set(`/${name}`, status);
      return job(name, Buffer.from(name), '1.0.0');
    },
    dropNextResponseAfter(bytes) {
      dropAfter = bytes;
    },
    rangeStartsFor(url) {
      return starts.get(new URL(url).pathname) ?? [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
