import test from 'ava';
import { MemorySegmentFiles, OfflineStore, type SegmentFiles, type SegmentWriter } from '../src/index.js';
import { drainAll, enc, openStore } from './helpers.js';

/** Segment files in memory that note the data chunk (the first) of every append. */
class RecordingSegmentFiles implements SegmentFiles {
  readonly inner = new MemorySegmentFiles();
  readonly appended: Buffer[] = [];
  list = (): Promise<string[]> => this.inner.list();
  size = (name: string): Promise<number> => this.inner.size(name);
  read = (name: string, position: number, length: number): Promise<Buffer> => this.inner.read(name, position, length);
  remove = (name: string): Promise<void> => this.inner.remove(name);
  async create(name: string): Promise<SegmentWriter> {
    const writer = await this.inner.create(name);
    return {
      append: (chunks) => {
        if (chunks[0] && chunks[0].length > 1024) this.appended.push(chunks[0]);
        return writer.append(chunks);
      },
      sync: () => writer.sync(),
      truncate: (length) => writer.truncate(length),
      close: () => writer.close(),
    };
  }
}

test('a large batch is written through one reused 1 MiB buffer, not a buffer of its whole size; every reading reads back', async (t) => {
  const files = new RecordingSegmentFiles();
  const store = await openStore(t, { files, syncIntervalMs: 50 });
  const payload = 'x'.repeat(100);
  // ~3.5 MiB appended in one turn: one write takes all of it.
  for (let i = 0; i < 25_000; i++) store.append(`P/s${i % 10}`, `P/s${i % 10}/data`, enc(`${i} ${payload}`));
  await store.durable();
  t.true(files.appended.length >= 4, `${files.appended.length} appends`);
  for (const chunk of files.appended) t.true(chunk.length <= 1024 * 1024, `an append of ${chunk.length} bytes`);
  t.is(new Set(files.appended.map((c) => c.buffer)).size, 1, 'one encode buffer, reused');
  const all = await drainAll(store);
  t.is(all.length, 25_000);
  t.deepEqual(all.filter((r) => r.key === 'P/s3').slice(0, 2).map((r) => r.payload), [`3 ${payload}`, `13 ${payload}`]);
});

test('a reading larger than the encode buffer is written whole; the readings around it go through the reused buffer', async (t) => {
  const files = new RecordingSegmentFiles();
  const store = await OfflineStore.open({ files, syncIntervalMs: 50 });
  t.teardown(() => store.close());
  const big = new Uint8Array(1536 * 1024).fill(7);
  const small = enc('y'.repeat(2000));
  store.append('P/a', 'P/a/data', small);
  store.append('P/a', 'P/a/data', big);
  store.append('P/a', 'P/a/data', small);
  await store.durable();
  t.deepEqual(files.appended.map((c) => c.length > 1024 * 1024), [false, true, false]);
  t.is(files.appended[0]!.buffer, files.appended[2]!.buffer, 'the same encode buffer before and after');
  const all = await drainAll(store);
  t.deepEqual(all.map((r) => r.payload.length), [2000, big.length, 2000]);
});
