import type { JsonValue, StateStore } from '@iotgw/domain';
import { StateCorruptError } from '@iotgw/domain';

/** One QoS 1 message the hub has not acknowledged yet. */
export interface OutboxEntry {
  readonly id: number;
  readonly topic: string;
  readonly payload: Uint8Array;
  /** Resolves the caller's publish: on PUBACK, or once safely queued after a disconnect. */
  settle?: () => void;
}

/**
 * Unacknowledged QoS 1 uplink, in publish order. While connected it holds only in-flight messages
 * (memory only, for speed); while disconnected it is the offline queue and is written to the
 * StateStore on every change, so a restart does not lose it.
 */
export class Outbox {
  readonly #entries = new Map<number, OutboxEntry>();
  readonly #store: StateStore | undefined;
  readonly #key: string;
  #nextId = 1;
  #writing: Promise<void> | undefined;
  #again = false;
  #persistedNonEmpty = false;

  constructor(store: StateStore | undefined, key: string) {
    this.#store = store;
    this.#key = key;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(topic: string, payload: Uint8Array, settle?: () => void): OutboxEntry {
    const entry: OutboxEntry = { id: this.#nextId++, topic, payload, ...(settle ? { settle } : {}) };
    this.#entries.set(entry.id, entry);
    return entry;
  }

  remove(id: number): boolean {
    return this.#entries.delete(id);
  }

  oldest(): OutboxEntry | undefined {
    return this.#entries.values().next().value;
  }

  entries(): OutboxEntry[] {
    return [...this.#entries.values()];
  }

  /** Whether the stored copy may be stale (something was persisted and has changed since). */
  get hasPersistedCopy(): boolean {
    return this.#persistedNonEmpty;
  }

  async load(): Promise<void> {
    if (!this.#store) return;
    const stored = await this.#store.get(this.#key);
    if (stored === undefined) return;
    if (!Array.isArray(stored)) throw new StateCorruptError(this.#key, 'outbox is not a list');
    const loaded: Array<[string, Uint8Array]> = [];
    for (const item of stored) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new StateCorruptError(this.#key, 'outbox entry is not an object');
      }
      const topic = item['topic'];
      const payload = item['payload'];
      if (typeof topic !== 'string' || typeof payload !== 'string') {
        throw new StateCorruptError(this.#key, 'outbox entry needs string topic and payload');
      }
      loaded.push([topic, new Uint8Array(Buffer.from(payload, 'base64'))]);
    }
    // Stored messages are older than anything published since start: they go first.
    const current = this.entries();
    this.#entries.clear();
    for (const [topic, payload] of loaded) this.add(topic, payload);
    for (const e of current) this.#entries.set(e.id, e);
    this.#persistedNonEmpty = loaded.length > 0;
  }

  /** Writes the current queue; concurrent calls coalesce into at most one more write. */
  async persist(): Promise<void> {
    if (!this.#store) return;
    if (this.#writing) {
      this.#again = true;
      return this.#writing;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        const snapshot: JsonValue = this.entries().map((e) => ({
          topic: e.topic,
          payload: Buffer.from(e.payload).toString('base64'),
        }));
        const nonEmpty = snapshot.length > 0;
        await this.#store?.put(this.#key, snapshot);
        this.#persistedNonEmpty = nonEmpty;
      } while (this.#again);
    };
    this.#writing = run().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }
}
