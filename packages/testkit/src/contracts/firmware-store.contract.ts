import type { ExecutionContext, TestFn } from 'ava';
import {
  CancelledError,
  FirmwareError,
  type FirmwareJob,
  type FirmwareStore,
  type TransferProgress,
} from '@iotgw/domain';
import { createHash } from 'node:crypto';
import { patternBytes } from './eventually.js';

/**
 * A FirmwareStore plus the origin it downloads from. Implementations: FakeFirmwareStore
 * (testkit), the HTTP adapter against a node http server on 127.0.0.1:0.
 */
export interface FirmwareStoreHarness {
  readonly store: FirmwareStore;
  /** Serves `bytes` under `name`; returns the job describing them (url, md5, size, version). */
  serve(name: string, bytes: Uint8Array, version?: string): Promise<FirmwareJob>;
  /** A job whose URL answers "not found". */
  missingJob(): Promise<FirmwareJob>;
  /** A job whose URL answers "forbidden" (expired signature); omit when not applicable. */
  forbiddenJob?(): Promise<FirmwareJob>;
  /** The next transfer from the origin breaks (connection dropped) after `bytes` bytes. */
  interruptNextAt(bytes: number): Promise<void>;
  /** The byte offset each transfer of `job` started from, in order (0 = fresh, > 0 = resumed). */
  transferStarts(job: FirmwareJob): Promise<number[]>;
  dispose(): Promise<void>;
}

export interface FirmwareStoreContractOptions {
  readonly name?: string;
  /** Image size used by the suite (default 256 KiB; big enough for several progress reports). */
  readonly imageSize?: number;
}

/** The FirmwareStore contract, clause by clause (firmware-store.port.ts). */
export function describeFirmwareStoreContract(
  test: TestFn,
  makeHarness: () => Promise<FirmwareStoreHarness>,
  options: FirmwareStoreContractOptions = {},
): void {
  const name = options.name ?? 'FirmwareStore';
  const size = options.imageSize ?? 256 * 1024;

  const open = async (t: ExecutionContext): Promise<FirmwareStoreHarness> => {
    const h = await makeHarness();
    t.teardown(() => h.dispose());
    return h;
  };

  test(`${name}: obtain resolves with an image whose md5, size and bytes match the job`, async (t) => {
    const h = await open(t);
    const bytes = patternBytes(size, 7);
    const job = await h.serve('ok.bin', bytes, '2.0.0');
    const image = await h.store.obtain(job);
    t.is(image.size, size);
    t.is(image.md5, createHash('md5').update(bytes).digest('hex'));
    t.is(image.job.version, '2.0.0');
    t.deepEqual(await image.read(0, size), bytes);
    t.deepEqual(await image.read(1000, 10), bytes.slice(1000, 1010));
    // Fewer bytes only at the end of the image.
    t.deepEqual(await image.read(size - 4, 100), bytes.slice(size - 4));
    t.is((await image.read(size, 10)).length, 0);
    await h.store.release(image);
  });

  test(`${name}: progress is reported as bytes arrive, never backwards, ending at 100%`, async (t) => {
    const h = await open(t);
    const job = await h.serve('progress.bin', patternBytes(size, 3));
    const seen: TransferProgress[] = [];
    const image = await h.store.obtain(job, { onProgress: (p) => seen.push(p) });
    t.true(seen.length >= 2, `only ${seen.length} progress reports`);
    for (let i = 1; i < seen.length; i++) t.true(seen[i]!.bytes >= seen[i - 1]!.bytes);
    t.true(seen.every((p) => p.total === size));
    t.like(seen.at(-1), { bytes: size, percent: 100 });
    await h.store.release(image);
  });

  test(`${name}: a missing image rejects with FirmwareError -2 (file not found)`, async (t) => {
    const h = await open(t);
    const error = await t.throwsAsync(h.store.obtain(await h.missingJob()), { instanceOf: FirmwareError });
    t.is(error?.otaCode, -2);
    t.is(error?.code, 'firmware.not_found');
  });

  test(`${name}: a forbidden URL (expired signature) rejects with FirmwareError -3`, async (t) => {
    const h = await open(t);
    if (!h.forbiddenJob) {
      t.pass('harness has no forbidden URL');
      return;
    }
    const error = await t.throwsAsync(h.store.obtain(await h.forbiddenJob()), { instanceOf: FirmwareError });
    t.is(error?.otaCode, -3);
    t.is(error?.code, 'firmware.forbidden');
  });

  test(`${name}: bytes that do not match the job's md5 reject with FirmwareError -4`, async (t) => {
    const h = await open(t);
    const job = await h.serve('corrupt.bin', patternBytes(4096, 1));
    const wrong: FirmwareJob = { ...job, md5: '0123456789abcdef0123456789abcdef' };
    const error = await t.throwsAsync(h.store.obtain(wrong), { instanceOf: FirmwareError });
    t.is(error?.otaCode, -4);
  });

  test(`${name}: concurrent obtains of the same image share one download and each gets progress`, async (t) => {
    const h = await open(t);
    const bytes = patternBytes(size, 11);
    const job = await h.serve('shared.bin', bytes);
    const progressA: number[] = [];
    const progressB: number[] = [];
    const [a, b] = await Promise.all([
      h.store.obtain(job, { onProgress: (p) => progressA.push(p.bytes) }),
      h.store.obtain(job, { onProgress: (p) => progressB.push(p.bytes) }),
    ]);
    t.deepEqual(await h.transferStarts(job), [0]);
    t.is(progressA.at(-1), size);
    t.is(progressB.at(-1), size);
    t.deepEqual(await a.read(0, size), bytes);
    t.deepEqual(await b.read(0, size), bytes);
    await h.store.release(a);
    await h.store.release(b);
  });

  test(`${name}: an interrupted download keeps its bytes; the next obtain resumes and verifies`, async (t) => {
    const h = await open(t);
    const bytes = patternBytes(size, 5);
    const job = await h.serve('resume.bin', bytes);
    await h.interruptNextAt(Math.floor(size / 2));
    const error = await t.throwsAsync(h.store.obtain(job), { instanceOf: FirmwareError });
    t.is(error?.otaCode, -1);
    const seen: number[] = [];
    const image = await h.store.obtain(job, { onProgress: (p) => seen.push(p.bytes) });
    const starts = await h.transferStarts(job);
    t.is(starts[0], 0);
    t.true((starts.at(-1) ?? 0) > 0, `second transfer started at ${String(starts.at(-1))}`);
    t.true((seen[0] ?? 0) > 0, 'the first progress report counts the resumed bytes');
    t.deepEqual(await image.read(0, size), bytes);
    await h.store.release(image);
  });

  test(`${name}: an already aborted signal rejects with CancelledError`, async (t) => {
    const h = await open(t);
    const job = await h.serve('abort.bin', patternBytes(1024, 2));
    const controller = new AbortController();
    controller.abort();
    await t.throwsAsync(h.store.obtain(job, { signal: controller.signal }), { instanceOf: CancelledError });
  });

  test(`${name}: cancelling mid-download rejects with CancelledError; the next obtain resumes`, async (t) => {
    const h = await open(t);
    const bytes = patternBytes(size, 9);
    const job = await h.serve('cancel.bin', bytes);
    const controller = new AbortController();
    const first = h.store.obtain(job, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes > 0 && p.bytes < size) controller.abort();
      },
    });
    await t.throwsAsync(first, { instanceOf: CancelledError });
    const image = await h.store.obtain(job);
    t.deepEqual(await image.read(0, size), bytes);
    await h.store.release(image);
  });

  test(`${name}: release is idempotent`, async (t) => {
    const h = await open(t);
    const job = await h.serve('release.bin', patternBytes(2048, 4));
    const image = await h.store.obtain(job);
    await h.store.release(image);
    await t.notThrowsAsync(h.store.release(image));
  });
}
