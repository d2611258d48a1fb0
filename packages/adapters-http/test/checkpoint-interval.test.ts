import test from 'ava';
import { join } from 'node:path';
import type { TransferProgress } from '@iotgw/domain';
import { HttpFirmwareStore, readProgressFile } from '../src/index.js';
import { startFirmwareServer } from './helpers/firmware-server.js';
import { withTempDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;

test('checkpoints are time-based: none while the interval runs however many bytes arrive, then one, then none until the next', async (t) => {
  const size = 4 * MiB;
  const server = await startFirmwareServer(size);
  try {
    await withTempDir(async (dir) => {
      server.plan = () => ({ throttle: { piece: 16 * 1024, everyMs: 5 } });
      let now = 1_000_000;
      const clock = { now: () => now, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
      const store = new HttpFirmwareStore({ dataDir: dir, clock, checkpointIntervalMs: 1000, sourceGuard: { allowLoopback: true } });
      // Event-driven waits: each resolves at the first progress report at or past its mark.
      let latest = 0;
      const waiters: { bytes: number; resolve: () => void }[] = [];
      const reached = (bytes: number): Promise<void> =>
        latest >= bytes ? Promise.resolve() : new Promise((resolve) => waiters.push({ bytes, resolve }));
      const onProgress = (p: TransferProgress): void => {
        latest = p.bytes;
        for (const w of waiters.filter((x) => x.bytes <= latest)) w.resolve();
      };
      const record = () => readProgressFile(join(dir, 'firmware', `${server.md5}.progress.json`));
      const obtained = store.obtain({ version: '3.0.0', url: server.url, md5: server.md5, size }, { onProgress });

      await reached(2.5 * MiB);
      t.is(await record(), undefined, 'no checkpoint before the interval has passed (a 4 MiB byte rule would have made one at 2 MiB)');

      now += 1000;
      await reached(2.75 * MiB);
      let checkpointed = (await record())?.downloaded_size ?? 0;
      while (checkpointed === 0 && latest < size) {
        await reached(latest + 16 * 1024);
        checkpointed = (await record())?.downloaded_size ?? 0;
      }
      t.true(checkpointed >= 2.5 * MiB, `the first byte after the interval starts a checkpoint (recorded ${checkpointed})`);

      await reached(3.75 * MiB);
      t.is((await record())?.downloaded_size, checkpointed, 'no second checkpoint within the same interval');

      const image = await obtained;
      t.is(image.md5, server.md5);
      t.is(await record(), undefined, 'the progress file is gone once the image is verified');
    });
  } finally {
    await server.close();
  }
});
