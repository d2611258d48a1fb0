import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { OfflineStore, type OfflineStoreOptions } from '../src/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a store that is closed when the test ends. */
export async function openStore(t: ExecutionContext, options: OfflineStoreOptions): Promise<OfflineStore> {
  const store = await OfflineStore.open(options);
  t.teardown(() => store.close());
  return store;
}

/** Takes everything unsent of every key, loads it, acknowledges nothing: what a drain would send. */
export async function drainAll(store: OfflineStore): Promise<Array<{ key: string; seq: number; payload: string }>> {
  const items: Array<{ key: string; seq: number }> = [];
  for (const key of [...store.keysWithUnsent()]) {
    for (const ref of store.takeUnsent(key, Number.MAX_SAFE_INTEGER)) items.push({ key, seq: ref.seq });
  }
  const records = await store.load(items);
  return records.map((r) => ({ key: r.key, seq: r.seq, payload: dec(r.payload) }));
}
