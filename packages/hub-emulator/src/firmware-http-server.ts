import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { silentLogger, type Logger } from '@iotgw/domain';
import { parseByteRange } from './byte-range.js';
import type { FirmwareCatalog } from './firmware-catalog.js';
import type { FirmwareFaults } from './firmware-faults.js';
import { BoundedLog } from './bounded-log.js';
import { FirmwareUrlSigner } from './firmware-url-signer.js';

export interface FirmwareRequestLog {
  at: number;
  id: string;
  range: string | undefined;
  status: number;
}

/**
 * Serves `GET /firmware/{id}?expires={unix s}&sig={signature}`: streams the file, honours Range,
 * refuses a link that is unsigned, tampered with or expired with 403 (the gateway's OTA code -3)
 * and an unknown id with 404, and applies the fault knobs.
 */
export class FirmwareHttpHandler {
  faults: FirmwareFaults = {};
  /** The newest download requests (`items`) and how many there were (`total`). */
  readonly requestLog = new BoundedLog<FirmwareRequestLog>(1000);

  private readonly now: () => number;
  private readonly signer: FirmwareUrlSigner;
  private readonly logger: Logger;

  constructor(
    private readonly catalog: FirmwareCatalog,
    options: { now?: () => number; signer?: FirmwareUrlSigner; logger?: Logger } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.signer = options.signer ?? new FirmwareUrlSigner(undefined, this.now);
    this.logger = options.logger ?? silentLogger;
  }

  /** The newest download requests, oldest first (no signature in them). */
  get requests(): readonly FirmwareRequestLog[] {
    return this.requestLog.items;
  }

  /** URL path + signed query for an image, valid for `ttlSec` seconds (negative: already expired). */
  pathFor(id: string, ttlSec: number): string {
    return `/firmware/${encodeURIComponent(id)}?${this.signer.query(id, ttlSec)}`;
  }

  /** Returns true when it handled the request (path under /firmware/). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const match = /^\/firmware\/([^/]+)$/.exec(url.pathname);
    if (!match) return false;
    let id: string;
    try {
      id = decodeURIComponent(match[1] ?? '');
    } catch {
      end(res, 404, 'no such firmware');
      return true;
    }
    const status = this.serve(req, res, url, id);
    this.requestLog.push({ at: this.now(), id, range: req.headers.range, status });
    // The link's signature stays out of the log: the id, the range and the answer say enough.
    const context = { firmware: id, range: req.headers.range, status };
    if (status >= 500) this.logger.warn('firmware download failed (injected fault)', context);
    else if (status >= 400) this.logger.warn('firmware download refused', context);
    else this.logger.info('firmware download', context);
    return true;
  }

  private serve(req: IncomingMessage, res: ServerResponse, url: URL, id: string): number {
    if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405, 'method not allowed');
    // The link is checked before anything else: a forged one learns nothing, not even whether
    // the image exists, and does not use up an injected fault.
    const verdict = this.signer.verify(id, url.searchParams.get('expires'), url.searchParams.get('sig'));
    if (!verdict.ok) return end(res, 403, verdict.reason === 'expired' ? 'url expired' : 'url signature does not match');
    if (this.faults.fail500Count && this.faults.fail500Count > 0) {
      this.faults.fail500Count -= 1;
      return end(res, 500, 'injected failure');
    }
    const image = this.catalog.get(id);
    if (!image) return end(res, 404, 'no such firmware');

    const range = parseByteRange(req.headers.range, image.size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${image.size}`);
      return end(res, 416, 'range not satisfiable');
    }
    const start = range?.start ?? 0;
    const last = range?.end ?? image.size - 1;
    const status = range ? 206 : 200;
    res.statusCode = status;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(last - start + 1));
    if (range) res.setHeader('Content-Range', `bytes ${start}-${last}/${image.size}`);
    if (req.method === 'HEAD' || image.size === 0) {
      res.end();
      return status;
    }
    this.stream(res, image.path, start, last);
    return status;
  }

  private stream(res: ServerResponse, path: string, start: number, last: number): void {
    const { throttleBytesPerSec, cutAfterBytes, corruptByteAt } = this.faults;
    const chunkSize = throttleBytesPerSec ? Math.max(1, Math.min(16384, Math.floor(throttleBytesPerSec / 10))) : 65536;
    const file = createReadStream(path, { start, end: last, highWaterMark: chunkSize });
    let sent = 0;
    let offset = start;
    let closed = false;
    res.on('close', () => {
      closed = true;
      file.destroy();
    });
    const startedAt = Date.now();
    file.on('error', () => res.destroy());
    file.on('data', (data: Buffer | string) => {
      let chunk = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
      if (corruptByteAt !== undefined && corruptByteAt >= offset && corruptByteAt < offset + chunk.length) {
        const i = corruptByteAt - offset;
        chunk[i] = (chunk[i] ?? 0) ^ 0xff;
      }
      offset += chunk.length;
      if (cutAfterBytes !== undefined && sent + chunk.length >= cutAfterBytes) {
        chunk = chunk.subarray(0, Math.max(0, cutAfterBytes - sent));
        file.destroy();
        // Flush what we may send, then drop the socket mid-body: the client sees a short read.
        res.write(chunk, () => res.destroy());
        sent += chunk.length;
        return;
      }
      sent += chunk.length;
      const ok = res.write(chunk);
      if (throttleBytesPerSec) {
        // Pace: pause until the elapsed time matches the bytes sent at the target rate.
        file.pause();
        const due = startedAt + (sent / throttleBytesPerSec) * 1000;
        setTimeout(() => {
          if (!closed) file.resume();
        }, Math.max(0, due - Date.now()));
      } else if (!ok) {
        file.pause();
        res.once('drain', () => file.resume());
      }
    });
    file.on('end', () => {
      if (!closed) res.end();
    });
  }
}

function end(res: ServerResponse, status: number, message: string): number {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain');
  res.end(`${message}\n`);
  return status;
}
