import type { TestFn } from 'ava';
import { CancelledError, ValidationError, type StateStore } from '@iotgw/domain';

export interface StateStoreHarness {
  readonly store: StateStore;
  /** Opens a second store over the same storage (a restart); omit for purely in-memory stores. */
  reopen?(): Promise<StateStore>;
  dispose?(): Promise<void>;
}

/**
 * The StateStore contract (see state-store.port.ts): missing keys resolve undefined, values
 * round-trip as JSON, keys are validated, list is prefix-filtered and lexically ordered.
 */
export function describeStateStoreContract(
  test: TestFn,
  makeHarness: () => StateStoreHarness | Promise<StateStoreHarness>,
  name = 'StateStore',
): void {
  const open = async (t: { teardown(fn: () => Promise<void> | void): void }): Promise<StateStoreHarness> => {
    const h = await makeHarness();
    t.teardown(async () => h.dispose?.());
    return h;
  };

  test(`${name}: get of a missing key resolves undefined`, async (t) => {
    const { store } = await open(t);
    t.is(await store.get('nothing/here'), undefined);
  });

  test(`${name}: put then get returns an equal JSON document`, async (t) => {
    const { store } = await open(t);
    const doc = { v: 1, name: 'sub1', list: [1, 'two', null, true, { deep: [0.5] }], empty: {} };
    await store.put('ota/abcdefghij/sub1.json', doc);
    t.deepEqual(await store.get('ota/abcdefghij/sub1.json'), doc);
    for (const scalar of [0, 'text', false, null, []]) {
      await store.put('scalar', scalar);
      t.deepEqual(await store.get('scalar'), scalar);
    }
  });

  test(`${name}: a stored document does not change when the caller mutates its object`, async (t) => {
    const { store } = await open(t);
    const doc = { list: [1, 2] };
    await store.put('doc', doc);
    doc.list.push(3);
    t.deepEqual(await store.get('doc'), { list: [1, 2] });
    const read = (await store.get('doc')) as { list: number[] };
    read.list.push(9);
    t.deepEqual(await store.get('doc'), { list: [1, 2] });
  });

  test(`${name}: put replaces the whole document`, async (t) => {
    const { store } = await open(t);
    await store.put('doc', { a: 1, b: 2 });
    await store.put('doc', { c: 3 });
    t.deepEqual(await store.get('doc'), { c: 3 });
  });

  test(`${name}: delete removes a key and is harmless for a missing one`, async (t) => {
    const { store } = await open(t);
    await store.put('doc', 1);
    await store.delete('doc');
    t.is(await store.get('doc'), undefined);
    await t.notThrowsAsync(store.delete('doc'));
    t.deepEqual(await store.list(''), []);
  });

  test(`${name}: list returns the keys under a prefix in lexical order`, async (t) => {
    const { store } = await open(t);
    for (const key of ['ota/b', 'ota/a', 'ota/a/x', 'outbox/1', 'ota2', 'link/z']) await store.put(key, key);
    t.deepEqual(await store.list('ota/'), ['ota/a', 'ota/a/x', 'ota/b']);
    t.deepEqual(await store.list('o'), ['ota/a', 'ota/a/x', 'ota/b', 'ota2', 'outbox/1']);
    t.deepEqual(await store.list(''), ['link/z', 'ota/a', 'ota/a/x', 'ota/b', 'ota2', 'outbox/1']);
    t.deepEqual(await store.list('nothing/'), []);
  });

  test(`${name}: keys outside [a-z0-9._/-] or with ".." are refused with ValidationError`, async (t) => {
    const { store } = await open(t);
    for (const key of ['', 'Upper', 'with space', '../escape', 'a/../b', 'semi;colon', 'ü']) {
      await t.throwsAsync(store.put(key, 1), { instanceOf: ValidationError }, `put ${JSON.stringify(key)}`);
      await t.throwsAsync(store.get(key), { instanceOf: ValidationError }, `get ${JSON.stringify(key)}`);
      await t.throwsAsync(store.delete(key), { instanceOf: ValidationError }, `delete ${JSON.stringify(key)}`);
    }
    t.deepEqual(await store.list(''), []);
  });

  test(`${name}: an aborted signal rejects with CancelledError and changes nothing`, async (t) => {
    const { store } = await open(t);
    const controller = new AbortController();
    controller.abort();
    await t.throwsAsync(store.put('doc', 1, { signal: controller.signal }), { instanceOf: CancelledError });
    await t.throwsAsync(store.get('doc', { signal: controller.signal }), { instanceOf: CancelledError });
    t.is(await store.get('doc'), undefined);
  });

  test(`${name}: concurrent puts to one key leave exactly one whole document`, async (t) => {
    const { store } = await open(t);
    const docs = Array.from({ length: 20 }, (_, i) => ({ writer: i, body: 'x'.repeat(100 + i) }));
    await Promise.all(docs.map((doc) => store.put('race/doc', doc)));
    const final = await store.get('race/doc');
    t.true(docs.some((doc) => JSON.stringify(doc) === JSON.stringify(final)), `got ${JSON.stringify(final)}`);
    t.deepEqual(await store.list('race/'), ['race/doc']);
  });

  test(`${name}: documents survive a reopen (when the store is persistent)`, async (t) => {
    const h = await open(t);
    if (!h.reopen) {
      t.pass('in-memory store: nothing to reopen');
      return;
    }
    await h.store.put('ota/x', { phase: 'downloading' });
    const again = await h.reopen();
    t.deepEqual(await again.get('ota/x'), { phase: 'downloading' });
    t.deepEqual(await again.list('ota/'), ['ota/x']);
  });
}
