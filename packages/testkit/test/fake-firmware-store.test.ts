import test from 'ava';
import { FirmwareError, type TransferProgress } from '@iotgw/domain';
import { FakeFirmwareStore, md5Hex, patternBytes } from '../src/index.js';

test('addImage returns a validated job with the md5 and size of the bytes', (t) => {
  const store = new FakeFirmwareStore();
  const bytes = patternBytes(1000);
  const job = store.addImage('https://fw.test/x.bin', bytes, '3.1.4');
  t.deepEqual(job, { version: '3.1.4', url: 'https://fw.test/x.bin', md5: md5Hex(bytes), size: 1000 });
});

test('failNext fails the next download once with the given OTA code', async (t) => {
  const store = new FakeFirmwareStore();
  const job = store.addImage('https://fw.test/x.bin', patternBytes(100));
  store.failNext(-3);
  t.is((await t.throwsAsync(store.obtain(job), { instanceOf: FirmwareError }))?.otaCode, -3);
  await t.notThrowsAsync(store.obtain(job));
});

test('a size that does not match the job is a mismatch (-4)', async (t) => {
  const store = new FakeFirmwareStore();
  const job = store.addImage('https://fw.test/x.bin', patternBytes(100));
  const error = await t.throwsAsync(store.obtain({ ...job, size: 99 }), { instanceOf: FirmwareError });
  t.is(error?.otaCode, -4);
});

test('pauseAt holds the download so a test can restart mid-way; the next obtain resumes', async (t) => {
  const store = new FakeFirmwareStore({ steps: 4 });
  const bytes = patternBytes(4000);
  const job = store.addImage('https://fw.test/x.bin', bytes);
  store.pauseAt(1500);
  const controller = new AbortController();
  const first = store.obtain(job, { signal: controller.signal });
  t.is(await store.whenPaused(), 1500);
  t.is(store.partialBytes(job), 1500);
  controller.abort();
  await t.throwsAsync(first);
  store.resume();
  const seen: TransferProgress[] = [];
  const image = await store.obtain(job, { onProgress: (p) => seen.push(p) });
  t.is(seen[0]?.bytes, 1500);
  t.deepEqual(store.starts, [
    { url: job.url, from: 0 },
    { url: job.url, from: 1500 },
  ]);
  t.deepEqual(await image.read(0, 4000), bytes);
  t.is(store.partialBytes(job), 0);
});

test('an obtained image is cached until every holder released it', async (t) => {
  const store = new FakeFirmwareStore();
  const job = store.addImage('https://fw.test/x.bin', patternBytes(100));
  const a = await store.obtain(job);
  const b = await store.obtain(job);
  t.is(store.downloads.get(job.url), 1);
  t.is(store.cached, 1);
  await store.release(a);
  await store.release(a);
  t.is(store.cached, 1);
  await store.release(b);
  t.is(store.cached, 0);
  t.is(store.releases, 2);
  await store.obtain(job);
  t.is(store.downloads.get(job.url), 2);
});

test('removeImage makes the URL answer not found', async (t) => {
  const store = new FakeFirmwareStore();
  const job = store.addImage('https://fw.test/x.bin', patternBytes(10));
  store.removeImage(job.url);
  t.is((await t.throwsAsync(store.obtain(job), { instanceOf: FirmwareError }))?.otaCode, -2);
});
