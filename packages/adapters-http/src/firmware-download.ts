import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import got, { type Response } from 'got';
import {
  CancelledError,
  FirmwareError,
  isGatewayError,
  type Clock,
  type FirmwareJob,
  type Logger,
} from '@iotgw/domain';
import type { Md5Hashing } from './file-md5.js';
import { PartialImage, type PartialImagePaths } from './partial-image.js';
import { parseContentRange, safeUrl } from './http-headers.js';
import { guardedRequestOptions, type FirmwareSourceGuard } from './source-guard.js';

export interface DownloadSettings {
  /** Failed attempts in a row (without a new byte) before giving up with -1. */
  readonly attempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** No byte for this long ends the attempt (it is then retried from the last byte). */
  readonly stallTimeoutMs: number;
  /** fsync + progress-file write at most this often: a crash re-fetches about this much time's bytes. */
  readonly checkpointIntervalMs: number;
  /** Optional byte cap on the same (checkpoint every half, never run further ahead of the record). */
  readonly checkpointBytes: number | undefined;
  /** Where the MD5 runs (a worker thread overlaps it with receiving). */
  readonly hashing: Md5Hashing;
  /** Which local addresses the download may reach (resolved names and redirects included). */
  readonly sourceGuard: FirmwareSourceGuard;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Small on purpose: bytes held here are lost by a crash, like bytes not yet checkpointed. */
const SINK_BUFFER_BYTES = 64 * 1024;

/** A failure worth another attempt: network errors, 5xx, stalls, short bodies. Internal only. */
class TransientFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientFailure';
  }
}

/**
 * Downloads `job` into `paths.part` until it is complete and its MD5 matches, resuming from the
 * progress file and retrying transient failures from the last byte. On MD5 mismatch the partial
 * is deleted. Any other failure keeps the verified bytes so the next call resumes.
 */
export async function downloadImage(
  job: FirmwareJob,
  paths: PartialImagePaths,
  settings: DownloadSettings,
  signal: AbortSignal,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const log = settings.logger.child({ firmware: job.version, md5: job.md5 });
  const partial = await PartialImage.open(job, paths, {
    intervalMs: settings.checkpointIntervalMs,
    maxBytes: settings.checkpointBytes,
    clock: settings.clock,
  }, settings.hashing);
  let discarded = false;
  try {
    if (partial.bytes > 0) log.info('resuming firmware download', { from: partial.bytes, size: job.size });
    onBytes(partial.bytes);
    let failures = 0;
    while (partial.bytes < job.size) {
      if (signal.aborted) throw new CancelledError('firmware download', { cause: signal.reason });
      const before = partial.bytes;
      try {
        await fetchOnce(job, partial, settings, signal, onBytes);
      } catch (e) {
        await partial.checkpoint();
        if (signal.aborted) throw new CancelledError('firmware download', { cause: signal.reason });
        if (!(e instanceof TransientFailure)) throw e;
        failures = partial.bytes > before ? 1 : failures + 1;
        if (failures >= settings.attempts) {
          throw new FirmwareError(
            -1,
            `download of firmware ${job.version} from ${safeUrl(job.url)} failed ${failures} times in a row without progress: ${e.message}`,
            { cause: e.cause ?? e, details: { bytes: partial.bytes, size: job.size } },
          );
        }
        const backoff = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** (failures - 1));
        log.warn('firmware download interrupted, retrying', {
          reason: e.message,
          at: partial.bytes,
          attempt: failures,
          backoffMs: backoff,
        });
        await settings.clock.sleep(backoff, signal);
      }
    }
    // Durable before it is verified and renamed into the cache: a verified image is never torn.
    await partial.checkpoint();
    const md5 = await partial.digest();
    if (md5 !== job.md5) {
      discarded = true;
      await partial.discard();
      throw new FirmwareError(-4, `firmware ${job.version} has MD5 ${md5}, the hub announced ${job.md5}`, {
        details: { expected: job.md5, actual: md5 },
      });
    }
  } catch (e) {
    if (e instanceof FirmwareError && e.otaCode === -4 && !discarded) {
      discarded = true;
      await partial.discard();
    }
    throw e;
  } finally {
    if (!discarded) await partial.close();
  }
}

/** One HTTP request from the current offset to the end (or until something breaks). */
async function fetchOnce(
  job: FirmwareJob,
  partial: PartialImage,
  settings: DownloadSettings,
  signal: AbortSignal,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const offset = partial.bytes;
  const stream = got.stream(job.url, {
    // The vendor SDK's form: the end is the size, which servers clamp to the last byte.
    headers: { range: `bytes=${offset}-${job.size}`, 'accept-encoding': 'identity' },
    retry: { limit: 0 },
    throwHttpErrors: false,
    decompress: false,
    ...guardedRequestOptions(settings.sourceGuard),
  });
  let timer: NodeJS.Timeout | undefined;
  // The stall clock measures the server: it stops while the sink waits on our own disk (a write,
  // or an fsync behind the byte cap), which on a busy machine can take longer than the timeout.
  let waitingOnDisk = false;
  const arm = (): void => {
    clearTimeout(timer);
    if (waitingOnDisk) return;
    timer = setTimeout(() => {
      stream.destroy(new TransientFailure(`no byte from the server for ${settings.stallTimeoutMs} ms`));
    }, settings.stallTimeoutMs);
  };
  const onAbort = (): void => {
    stream.destroy(new CancelledError('firmware download', { cause: signal.reason }));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  // The sink's last write may still be running when the pipeline fails; the next attempt must not
  // compute its offset before it lands.
  let writing: Promise<void> | undefined;
  arm();
  try {
    const response = await new Promise<Response>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    arm();
    // got reports each chunk read from the socket: the stall clock measures the network.
    stream.on('downloadProgress', arm);
    await acceptResponse(job, partial, response, offset);
    // A Writable sink rather than `for await`: async iteration costs a promise per chunk and was
    // measurably slower; backpressure still bounds memory (the sink's buffer plus one write batch).
    const sink = new Writable({
      highWaterMark: SINK_BUFFER_BYTES,
      write(chunk: Buffer, _encoding, callback) {
        if (partial.bytes + chunk.length > job.size) {
          callback(new FirmwareError(-4, `server sent more than the announced ${job.size} bytes of firmware ${job.version}`));
          return;
        }
        waitingOnDisk = true;
        clearTimeout(timer);
        writing = partial.append(chunk);
        writing.then(
          () => {
            waitingOnDisk = false;
            arm(); // a slow disk holding back the network is not a stalled server
            onBytes(partial.bytes);
            callback();
          },
          (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
        );
      },
    });
    await pipeline(stream, sink);
    if (partial.bytes < job.size) {
      throw new TransientFailure(`connection closed at byte ${partial.bytes} of ${job.size}`);
    }
  } catch (e) {
    if (e instanceof TransientFailure || isGatewayError(e)) throw e;
    // got wraps what its hooks and lookup threw (a refused address): that is the answer, not the network.
    if (e instanceof Error && isGatewayError(e.cause)) throw e.cause;
    // Everything else on this path is the network (got's RequestError, premature close, reset).
    const reason = e instanceof Error ? e.message : String(e);
    throw new TransientFailure(reason, { cause: e });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
    await writing?.catch(() => undefined);
  }
}

/** Checks status and headers; restarts the partial when the server ignored the Range. */
async function acceptResponse(job: FirmwareJob, partial: PartialImage, response: Response, offset: number): Promise<void> {
  const status = response.statusCode;
  const where = safeUrl(job.url);
  const length = response.headers['content-length'];
  const contentLength = length === undefined ? undefined : Number(length);
  if (status === 404 || status === 410) {
    throw new FirmwareError(-2, `firmware ${job.version} not found at ${where} (HTTP ${status})`, { details: { status } });
  }
  if (status === 401 || status === 403) {
    throw new FirmwareError(-3, `firmware ${job.version} download refused at ${where} (HTTP ${status}); the URL may have expired`, {
      details: { status },
    });
  }
  if (status === 416) {
    await partial.restart();
    throw new TransientFailure(`server refused the range from byte ${offset} (HTTP 416); restarting from 0`);
  }
  if (status === 408 || status === 429 || status >= 500) {
    throw new TransientFailure(`server answered HTTP ${status}`);
  }
  if (status === 200) {
    if (contentLength !== undefined && contentLength !== job.size) {
      throw new FirmwareError(-4, `server has a ${contentLength}-byte file at ${where}, the hub announced ${job.size} bytes`);
    }
    // The server ignored the Range: the body starts at byte 0, so start over cleanly.
    if (offset > 0) await partial.restart();
    return;
  }
  if (status === 206) {
    const range = parseContentRange(response.headers['content-range']);
    if (!range) throw new TransientFailure(`HTTP 206 without a usable Content-Range (${String(response.headers['content-range'])})`);
    if (range.total !== undefined && range.total !== job.size) {
      throw new FirmwareError(-4, `server has a ${range.total}-byte file at ${where}, the hub announced ${job.size} bytes`);
    }
    if (range.start !== offset) {
      throw new TransientFailure(`server answered the range from byte ${range.start}, asked for ${offset}`);
    }
    if (contentLength !== undefined && contentLength !== range.end - range.start + 1) {
      throw new TransientFailure(
        `Content-Length ${contentLength} disagrees with Content-Range ${range.start}-${range.end}`,
      );
    }
    return;
  }
  throw new FirmwareError(-1, `unexpected HTTP ${status} for firmware ${job.version} at ${where}`, { details: { status } });
}
