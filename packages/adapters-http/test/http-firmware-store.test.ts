import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CancelledError,
  FirmwareError,
  FirmwareStorageError,
  ValidationError,
  type FirmwareJob,
  type TransferProgress,
} from '@iotgw/domain';
import { HttpFirmwareStore, readProgressFile, type HttpFirmwareStoreOptions } from '../src/index.js';
import { imageMd5, imageSlice, startFirmwareServer, type FirmwareServer } from './helpers/firmware-server.js';
import { withTempDir } from './helpers/temp-dir.js';

const SIZE = 1024 * 1024 + 12_345;

function jobFor(server: FirmwareServer, overrides: Partial<FirmwareJob> = {}): FirmwareJob {
  return { version: '1.2.0', url: server.url, md5: server.md5, size: server.size, ...overrides };
}

function storeIn(dataDir: string, options: Partial<HttpFirmwareStoreOptions> = {}): HttpFirmwareStore {
  return new HttpFirmwareStore({
    dataDir,
    retry: { attempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 },
    stallTimeoutMs: 500,
    checkpointBytes: 64 * 1024,
    // The test's firmware server runs on this machine.
    sourceGuard: { allowLoopback: true },
    ...options,
  });
}

async function withServer(size: number, work: (server: FirmwareServer, dir: string) => Promise<void>): Promise<void> {
  const server = await startFirmwareServer(size);
  try {
    await withTempDir((dir) => work(server, dir));
  } finally {
    await server.close();
  }
}

test('downloads, verifies and reads an image, sending the SDK Range form even at 0', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    const progress: TransferProgress[] = [];
    const image = await storeIn(dir).obtain(jobFor(server), { onProgress: (p) => progress.push(p) });
    t.is(image.md5, server.md5);
    t.is(image.size, SIZE);
    t.deepEqual(server.requests.map((r) => r.range), [`bytes=0-${SIZE}`]);
    t.deepEqual(Buffer.from(await image.read(100_000, 5000)), imageSlice(100_000, 105_000));
    t.is((await image.read(SIZE - 10, 100)).length, 10, 'short read only at the end');
    t.is((await image.read(SIZE, 100)).length, 0);
    t.is(progress[0]?.bytes, 0, 'a first report at once');
    t.deepEqual(progress.at(-1), { ...progress.at(-1)!, bytes: SIZE, total: SIZE, percent: 100 });
    t.true(progress.every((p, i) => i === 0 || p.bytes >= progress[i - 1]!.bytes));
    t.deepEqual(await readdir(join(dir, 'firmware')), [`${server.md5}.bin`], 'no partial or progress file left');
  });
});

test('resumes after a cut connection from the last byte', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 300_000 } : {});
    const image = await storeIn(dir).obtain(jobFor(server));
    t.is(image.md5, server.md5);
    t.is(server.requests.length, 2);
    const resumedAt = Number(/^bytes=(\d+)-/.exec(server.requests[1]!.range!)![1]);
    t.true(resumedAt > 0 && resumedAt <= 300_000, `resumed at ${resumedAt}`);
    t.true(server.bytesServed() <= SIZE + 300_000 - resumedAt);
    t.deepEqual(Buffer.from(await image.read(resumedAt - 10, 20)), imageSlice(resumedAt - 10, resumedAt + 10));
  });
});

test('a failed download keeps a vendor-compatible progress file and the next obtain resumes, re-hashing the bytes on disk', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 400_000 } : { status: 503 });
    const error = await t.throwsAsync(storeIn(dir, { retry: { attempts: 2, initialBackoffMs: 5 } }).obtain(jobFor(server)), {
      instanceOf: FirmwareError,
    });
    t.is(error.otaCode, -1);
    t.notRegex(error.message, /secret-token/, 'no signed query in messages');
    const record = await readProgressFile(join(dir, 'firmware', `${server.md5}.progress.json`));
    t.like(record, { version: '1.2.0', md5: server.md5, size: SIZE, url: server.url });
    t.true(record!.downloaded_size > 0 && record!.downloaded_size <= 400_000);

    server.plan = () => ({});
    const progress: TransferProgress[] = [];
    const image = await storeIn(dir).obtain(jobFor(server), { onProgress: (p) => progress.push(p) });
    t.is(image.md5, server.md5);
    t.is(progress[0]?.bytes, record!.downloaded_size, 'first report carries the resumed amount');
    t.is(server.requests.at(-1)!.range, `bytes=${record!.downloaded_size}-${SIZE}`);
  });
});

test('the firmware dir, partial, progress file (it holds the signed URL) and cached image are owner-only', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 200_000 } : { status: 503 });
    await t.throwsAsync(storeIn(dir, { retry: { attempts: 1 } }).obtain(jobFor(server)));
    const modeOf = async (name: string): Promise<number> => (await stat(join(dir, 'firmware', name))).mode & 0o777;
    t.is((await stat(join(dir, 'firmware'))).mode & 0o777, 0o700);
    t.is(await modeOf(`${server.md5}.part`), 0o600);
    t.is(await modeOf(`${server.md5}.progress.json`), 0o600);
    server.plan = () => ({});
    await storeIn(dir).obtain(jobFor(server));
    const names = await readdir(join(dir, 'firmware'));
    t.true(names.length > 0);
    for (const name of names) t.is(await modeOf(name), 0o600, name);
  });
});

test('corrupt bytes in a resumed partial are caught by the MD5 over the whole image', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 200_000 } : { status: 500 });
    await t.throwsAsync(storeIn(dir, { retry: { attempts: 1 } }).obtain(jobFor(server)));
    const part = join(dir, 'firmware', `${server.md5}.part`);
    const bytes = await readFile(part);
    bytes[10] = bytes[10]! ^ 0xff;
    await writeFile(part, bytes);
    server.plan = () => ({});
    const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server)), { instanceOf: FirmwareError });
    t.is(error.otaCode, -4);
    t.false(existsSync(part), 'partial deleted');
  });
});

test('a server that ignores Range (200) restarts the image cleanly', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 500_000 } : { ignoreRange: true });
    const image = await storeIn(dir).obtain(jobFor(server));
    t.is(image.md5, server.md5);
    t.is(server.requests.length, 2);
    t.deepEqual(Buffer.from(await image.read(0, 64)), imageSlice(0, 64));
  });
});

test('wrong MD5 deletes the partial and fails with -4', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server, { md5: 'f'.repeat(32) })), {
      instanceOf: FirmwareError,
    });
    t.is(error.otaCode, -4);
    t.is(error.code, 'firmware.md5_mismatch');
    t.deepEqual(await readdir(join(dir, 'firmware')), []);
  });
});

test('a size that disagrees with Content-Length fails with -4 without retrying', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = () => ({ ignoreRange: true, contentLength: SIZE + 1 });
    const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server)), { instanceOf: FirmwareError });
    t.is(error.otaCode, -4);
    t.is(server.requests.length, 1);
  });
});

test('a Content-Range that does not start at the asked offset is retried, then fails with -1', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = () => ({ contentRangeStart: 7 });
    const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server)), { instanceOf: FirmwareError });
    t.is(error.otaCode, -1);
    t.regex(error.message, /range from byte 7, asked for 0/);
    t.is(server.requests.length, 3);
  });
});

for (const [status, otaCode, code] of [
  [404, -2, 'firmware.not_found'],
  [403, -3, 'firmware.forbidden'],
] as const) {
  test(`HTTP ${status} fails with ${otaCode} at once`, async (t) => {
    await withServer(SIZE, async (server, dir) => {
      server.plan = () => ({ status });
      const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server)), { instanceOf: FirmwareError });
      t.is(error.otaCode, otaCode);
      t.is(error.code, code);
      t.is(server.requests.length, 1, 'not retried');
    });
  });
}

test('5xx answers are retried with backoff', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n < 2 ? { status: 502 } : {});
    const image = await storeIn(dir).obtain(jobFor(server));
    t.is(image.md5, server.md5);
    t.is(server.requests.length, 3);
  });
});

test('a stalled server is retried, then fails with -1 after the retry budget', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { stall: true } : { stallAfter: 0 });
    const error = await t.throwsAsync(
      storeIn(dir, { stallTimeoutMs: 200, retry: { attempts: 2, initialBackoffMs: 10 } }).obtain(jobFor(server)),
      { instanceOf: FirmwareError },
    );
    t.is(error.otaCode, -1);
    t.regex(error.message, /no byte from the server for 200 ms/);
    t.is(server.requests.length, 2);
  });
});

test('a stall mid-body resumes from the last byte', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { stallAfter: 250_000 } : {});
    const image = await storeIn(dir, { stallTimeoutMs: 400 }).obtain(jobFor(server));
    t.is(image.md5, server.md5);
    t.regex(server.requests[1]!.range!, /^bytes=[1-9]\d*-/);
  });
});

test('two callers of the same image share one download and both get progress', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = () => ({ throttle: { piece: 128 * 1024, everyMs: 5 } });
    const store = storeIn(dir);
    const seen: [number[], number[]] = [[], []];
    const [a, b] = await Promise.all([
      store.obtain(jobFor(server), { onProgress: (p) => seen[0].push(p.bytes) }),
      store.obtain(jobFor(server), { onProgress: (p) => seen[1].push(p.bytes) }),
    ]);
    t.is(server.requests.length, 1);
    t.is(a.md5, server.md5);
    t.is(b.md5, server.md5);
    t.is(seen[0].at(-1), SIZE);
    t.is(seen[1].at(-1), SIZE);
    t.true(seen[1].length > 2);
  });
});

test('one caller cancelling does not stop the download for the other', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = () => ({ throttle: { piece: 64 * 1024, everyMs: 5 } });
    const store = storeIn(dir);
    const controller = new AbortController();
    const first = store.obtain(jobFor(server), { signal: controller.signal });
    const second = store.obtain(jobFor(server), { onProgress: (p) => p.bytes > 100_000 && controller.abort() });
    await t.throwsAsync(first, { instanceOf: CancelledError });
    t.is((await second).md5, server.md5);
    t.is(server.requests.length, 1);
  });
});

test('cancelling the only caller stops the download and keeps its bytes for the next obtain', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = () => ({ throttle: { piece: 32 * 1024, everyMs: 5 } });
    const store = storeIn(dir);
    const controller = new AbortController();
    const obtaining = store.obtain(jobFor(server), {
      signal: controller.signal,
      onProgress: (p) => p.bytes > 200_000 && controller.abort(),
    });
    await t.throwsAsync(obtaining, { instanceOf: CancelledError });
    server.plan = () => ({});
    t.is((await store.obtain(jobFor(server))).md5, server.md5);
    t.regex(server.requests.at(-1)!.range!, /^bytes=[1-9]\d*-/);
  });
});

test('timeoutMs bounds the wait and reports -1', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = () => ({ stall: true });
    const error = await t.throwsAsync(storeIn(dir, { stallTimeoutMs: 10_000 }).obtain(jobFor(server), { timeoutMs: 100 }), {
      instanceOf: FirmwareError,
    });
    t.is(error.otaCode, -1);
  });
});

test('a cached image is handed out without a request, reporting 100% at once', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    const image = await storeIn(dir).obtain(jobFor(server));
    await storeIn(dir).release(image);
    const progress: TransferProgress[] = [];
    const again = await storeIn(dir).obtain(jobFor(server, { url: `${server.url}&re-signed=1` }), {
      onProgress: (p) => progress.push(p),
    });
    t.is(server.requests.length, 1, 'served from the cache, even by a fresh store instance');
    t.is(progress[0]?.percent, 100);
    t.deepEqual(Buffer.from(await again.read(0, 32)), imageSlice(0, 32));
  });
});

test('the cache evicts released images least recently used first, never held ones', async (t) => {
  const small = 100_000;
  const servers = await Promise.all([startFirmwareServer(small), startFirmwareServer(small + 1), startFirmwareServer(small + 2)]);
  try {
    await withTempDir(async (dir) => {
      const store = storeIn(dir, { cacheLimitBytes: 2 * small + 10 });
      const [a, b, c] = servers.map((s) => jobFor(s)) as [FirmwareJob, FirmwareJob, FirmwareJob];
      const imageA = await store.obtain(a);
      const imageB = await store.obtain(b);
      await store.release(imageB);
      await store.release(imageA); // A used after B: B is least recently used
      await store.obtain(c);
      const files = await readdir(join(dir, 'firmware'));
      t.true(files.includes(`${a.md5}.bin`));
      t.false(files.includes(`${b.md5}.bin`), 'B evicted');
      t.true(files.includes(`${c.md5}.bin`));
      const held = await store.obtain(a);
      const alsoHeld = await store.obtain(a);
      await store.release(alsoHeld);
      await store.release(alsoHeld); // idempotent: must not drop the other caller's hold
      await store.obtain(b);
      t.true((await readdir(join(dir, 'firmware'))).includes(`${a.md5}.bin`), 'held image kept');
      await store.release(held);
    });
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test('a data dir that cannot be created gives FirmwareStorageError with a clear message', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const error = await t.throwsAsync(storeIn(join(blocker, 'data')).obtain(jobFor(server)), {
      instanceOf: FirmwareStorageError,
    });
    t.regex(error.message, /could not create the firmware dir .*not-a-dir/);
  });
});

test('an empty image (file_size 0, the empty file\'s MD5) is refused before any request', async (t) => {
  await withServer(0, async (server, dir) => {
    await t.throwsAsync(storeIn(dir).obtain(jobFor(server, { md5: imageMd5(0) })), { instanceOf: ValidationError, message: /firmware size 0/ });
    t.is(server.requests.length, 0);
  });
});

test('HTTP 416 for a resumed range restarts the image from byte 0', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 300_000 } : n === 1 ? { status: 416 } : {});
    const image = await storeIn(dir).obtain(jobFor(server));
    t.is(image.md5, server.md5);
    t.is(server.requests[2]?.range, `bytes=0-${SIZE}`);
  });
});

test('backoff doubles per failure on the injected clock and progress carries a rate', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    server.plan = (n) => (n < 3 ? { status: 503 } : {});
    const sleeps: number[] = [];
    let now = 1_000_000;
    const clock = {
      now: () => (now += 5),
      sleep: (ms: number) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    };
    const progress: TransferProgress[] = [];
    const store = storeIn(dir, { clock, retry: { attempts: 5, initialBackoffMs: 100, maxBackoffMs: 250 } });
    await store.obtain(jobFor(server), { onProgress: (p) => progress.push(p) });
    t.deepEqual(sleeps, [100, 200, 250]);
    t.true(progress.at(-1)!.bytesPerSecond > 0);
  });
});

test('a server that refuses connections fails with -1 after the retry budget', async (t) => {
  const server = await startFirmwareServer(1000);
  const job = jobFor(server);
  await server.close();
  await withTempDir(async (dir) => {
    const error = await t.throwsAsync(storeIn(dir, { retry: { attempts: 2, initialBackoffMs: 5 } }).obtain(job), {
      instanceOf: FirmwareError,
    });
    t.is(error.otaCode, -1);
    t.regex(error.message, /failed 2 times in a row .*ECONNREFUSED/);
  });
});

test('a full disk gives FirmwareStorageError saying so', async (t) => {
  await withServer(SIZE, async (server, dir) => {
    // /dev/full answers every write with ENOSPC: a real full disk, without filling one.
    await mkdir(join(dir, 'firmware'));
    await symlink('/dev/full', join(dir, 'firmware', `${server.md5}.part`));
    const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server)), { instanceOf: FirmwareStorageError });
    t.regex(error.message, /^disk full while trying to write the partial firmware file .*\.part: free space/);
  });
});
