/**
 * Runs in a worker thread: the MD5 of the partial firmware file's prefix, read back from the file
 * (the page cache, as `md5sum` after `curl -o` does) while the download goes on. Hashing is the
 * largest CPU cost of a download; here it runs on another core, and the main thread never copies
 * or holds the bytes for it. Requests are handled in order.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Main thread → worker. `extend`: hash the file up to byte `end` (sent once those bytes are
 * written); `digest`: reply with the MD5 so far and start again from byte 0.
 */
export type Md5Request =
  | { readonly op: 'extend'; readonly end: number }
  | { readonly op: 'digest' }
  | { readonly op: 'close' };

/** Worker → main thread. */
export type Md5Reply =
  | { readonly op: 'digest'; readonly md5: string; readonly bytes: number }
  | { readonly op: 'failed'; readonly message: string; readonly code: string | undefined };

const READ_BYTES = 256 * 1024;
const port = parentPort;
if (!port) throw new Error('md5-worker must run in a worker thread');
const reply = (message: Md5Reply): void => port.postMessage(message);

let fd: number | undefined;
let failed = false;
const buffer = Buffer.allocUnsafe(READ_BYTES);
let hash: Hash = createHash('md5');
let hashed = 0;

function extend(end: number): void {
  fd ??= openSync(workerData as string, 'r');
  while (hashed < end) {
    const read = readSync(fd, buffer, 0, Math.min(READ_BYTES, end - hashed), hashed);
    if (read === 0) throw new Error(`the file ends at byte ${hashed}, ${end} were written`);
    hash.update(buffer.subarray(0, read));
    hashed += read;
  }
}

port.on('message', (request: Md5Request) => {
  try {
    if (request.op === 'close') {
      if (fd !== undefined) closeSync(fd);
      port.close(); // nothing else keeps this thread alive: it exits
    } else if (failed) {
      // already reported; the main thread stops the download
    } else if (request.op === 'extend') {
      extend(request.end);
    } else {
      reply({ op: 'digest', md5: hash.digest('hex'), bytes: hashed });
      hash = createHash('md5');
      hashed = 0;
    }
  } catch (e) {
    failed = true;
    const error = e as NodeJS.ErrnoException;
    reply({ op: 'failed', message: error.message, code: error.code });
  }
});
