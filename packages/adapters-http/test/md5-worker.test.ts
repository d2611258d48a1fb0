import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FirmwareError, type FirmwareJob } from '@iotgw/domain';
import { HttpFirmwareStore, type HttpFirmwareStoreOptions } from '../src/index.js';
import { startFirmwareServer, type FirmwareServer } from './helpers/firmware-server.js';
import { withTempDir } from './helpers/temp-dir.js';

// The worker-thread MD5 on the paths where it differs from hashing on the main thread: bytes
// resumed from disk, a restart from byte 0, a mismatch. (The contract suite runs on it too.)
const SIZE = 1024 * 1024 + 4321;

const jobFor = (server: FirmwareServer): FirmwareJob => ({ version: '4.0.0', url: server.url, md5: server.md5, size: server.size });
const storeIn = (dataDir: string, options: Partial<HttpFirmwareStoreOptions> = {}): HttpFirmwareStore =>
  new HttpFirmwareStore({
    dataDir,
    hashing: 'worker',
    retry: { attempts: 2, initialBackoffMs: 5 },
    checkpointBytes: 64 * 1024,
    sourceGuard: { allowLoopback: true },
    ...options,
  });

async function withServer(work: (server: FirmwareServer, dir: string) => Promise<void>): Promise<void> {
  const server = await startFirmwareServer(SIZE);
  try {
    await withTempDir((dir) => work(server, dir));
  } finally {
    await server.close();
  }
}

test('worker MD5: a resumed download is verified over the bytes on disk, and corrupt resumed bytes fail with -4', async (t) => {
  await withServer(async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 300_000 } : { status: 503 });
    await t.throwsAsync(storeIn(dir, { retry: { attempts: 1 } }).obtain(jobFor(server)));
    const part = join(dir, 'firmware', `${server.md5}.part`);
    const good = await readFile(part);
    t.true(good.length > 0, 'bytes kept for the resume');

    server.plan = () => ({});
    const corrupt = Buffer.from(good);
    corrupt[7] = corrupt[7]! ^ 0xff;
    await writeFile(part, corrupt);
    const error = await t.throwsAsync(storeIn(dir).obtain(jobFor(server)), { instanceOf: FirmwareError });
    t.is(error.otaCode, -4);
    t.false(existsSync(part), 'partial deleted');

    server.plan = (n) => (n === 2 ? { cutAfter: 500_000 } : {});
    const image = await storeIn(dir).obtain(jobFor(server));
    t.is(image.md5, server.md5, 'cut, resumed and verified');
  });
});

test('worker MD5: a server that ignores Range (200) restarts the hash with the file', async (t) => {
  await withServer(async (server, dir) => {
    server.plan = (n) => (n === 0 ? { cutAfter: 400_000 } : { ignoreRange: true });
    const image = await storeIn(dir).obtain(jobFor(server));
    t.is(image.md5, server.md5);
    t.true(server.requests.length >= 2);
  });
});
