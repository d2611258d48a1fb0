import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A pattern of prime length, so a resume at a wrong offset can never produce the right MD5. */
const PATTERN_LENGTH = 65_521;
const PATTERN = (() => {
  const bytes = Buffer.alloc(PATTERN_LENGTH);
  let x = 0x12345678;
  for (let i = 0; i < PATTERN_LENGTH; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
})();

/** Image bytes [start, end) generated on the fly, in pieces of at most `piece` bytes. */
export function* imageBytes(start: number, end: number, piece = 64 * 1024): Generator<Buffer> {
  let at = start;
  while (at < end) {
    const from = at % PATTERN_LENGTH;
    const length = Math.min(piece, end - at, PATTERN_LENGTH - from);
    yield PATTERN.subarray(from, from + length);
    at += length;
  }
}

export function imageMd5(size: number): string {
  const hash = createHash('md5');
  for (const chunk of imageBytes(0, size, 1024 * 1024)) hash.update(chunk);
  return hash.digest('hex');
}

export function imageSlice(start: number, end: number): Buffer {
  return Buffer.concat([...imageBytes(start, end)]);
}

/** What the server does to one request; decided per request by `plan` (n counts from 0). */
export interface Fault {
  status?: number;
  /** Answer 200 with the whole file even when asked for a range. */
  ignoreRange?: boolean;
  /** Close the connection after sending this many body bytes. */
  cutAfter?: number;
  /** Send nothing at all (not even headers) and keep the connection open. */
  stall?: boolean;
  /** Send headers and this many body bytes, then go silent. */
  stallAfter?: number;
  /** Pace: `piece` bytes every `everyMs`. */
  throttle?: { piece: number; everyMs: number };
  /** Lie in Content-Range: start at this byte instead. */
  contentRangeStart?: number;
  /** Lie about the size in Content-Length for a 200. */
  contentLength?: number;
}

export interface FirmwareServer {
  readonly url: string;
  readonly size: number;
  readonly md5: string;
  /** Body bytes written to sockets so far. */
  readonly bytesServed: () => number;
  readonly requests: { range: string | undefined }[];
  plan: (n: number) => Fault;
  close(): Promise<void>;
}

export async function startFirmwareServer(size: number, md5 = imageMd5(size)): Promise<FirmwareServer> {
  let served = 0;
  const requests: { range: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  const state: FirmwareServer = {
    url: '',
    size,
    md5,
    bytesServed: () => served,
    requests,
    plan: () => ({}),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const n = requests.length;
    requests.push({ range: request.headers.range });
    const fault = state.plan(n);
    if (fault.stall) return;
    if (fault.status) {
      response.writeHead(fault.status, { 'content-type': 'text/plain' });
      response.end(`status ${fault.status}`);
      return;
    }
    const match = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    let start = 0;
    let end = size; // exclusive
    if (match && !fault.ignoreRange) {
      start = Number(match[1]);
      if (match[2]) end = Math.min(size, Number(match[2]) + 1);
      if (start >= size) {
        response.writeHead(416, { 'content-range': `bytes */${size}` });
        response.end();
        return;
      }
      response.writeHead(206, {
        'content-type': 'application/octet-stream',
        'content-length': String(end - start),
        'content-range': `bytes ${fault.contentRangeStart ?? start}-${end - 1}/${size}`,
      });
    } else {
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(fault.contentLength ?? size),
      });
    }
    void send(response, start, end, fault);
  };
  const send = async (response: ServerResponse, start: number, end: number, fault: Fault): Promise<void> => {
    let sent = 0;
    const piece = fault.throttle?.piece ?? 64 * 1024;
    for (const chunk of imageBytes(start, end, piece)) {
      if (response.destroyed) return;
      let part = chunk;
      const limit = fault.cutAfter ?? fault.stallAfter;
      if (limit !== undefined && sent + part.length > limit) part = part.subarray(0, limit - sent);
      if (part.length > 0) {
        served += part.length;
        sent += part.length;
        // Respect backpressure so "generated on the fly" really holds nothing in memory.
        if (!response.write(part)) await drained(response);
      }
      if (fault.cutAfter !== undefined && sent >= fault.cutAfter) {
        response.socket?.destroy();
        return;
      }
      if (fault.stallAfter !== undefined && sent >= fault.stallAfter) return;
      if (fault.throttle) await new Promise((resolve) => setTimeout(resolve, fault.throttle?.everyMs));
    }
    response.end();
  };
  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(state, { url: `http://127.0.0.1:${port}/firmware/image.bin?sign=secret-token` });
  return state;
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
