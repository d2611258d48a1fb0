import {
  isValidStateKey,
  throwIfAborted,
  ValidationError,
  type CallOptions,
  type JsonValue,
  type StateStore,
} from '@iotgw/domain';

/**
 * A StateStore in a Map. Values are stored as JSON text, so callers can never share a reference
 * with the store (a mutated object after `put` does not change what `get` returns).
 */
export class MemoryStateStore implements StateStore {
  readonly #docs = new Map<string, string>();
  #failNextPut: Error | undefined;
  /** Every successful put, in order (key only): lets tests assert that something was persisted. */
  readonly puts: string[] = [];

  constructor(initial: Readonly<Record<string, JsonValue>> = {}) {
    for (const [key, value] of Object.entries(initial)) {
      checkKey(key);
      this.#docs.set(key, JSON.stringify(value));
    }
  }

  get(key: string, options: CallOptions = {}): Promise<JsonValue | undefined> {
    return settle(() => {
      throwIfAborted(options.signal, `state get ${key}`);
      checkKey(key);
      const text = this.#docs.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
    });
  }

  put(key: string, value: JsonValue, options: CallOptions = {}): Promise<void> {
    return settle(() => {
      throwIfAborted(options.signal, `state put ${key}`);
      checkKey(key);
      if (value === undefined) throw new ValidationError(`state "${key}": cannot store undefined (use delete)`);
      const failure = this.#failNextPut;
      if (failure) {
        this.#failNextPut = undefined;
        throw failure;
      }
      this.#docs.set(key, JSON.stringify(value));
      this.puts.push(key);
    });
  }

  delete(key: string, options: CallOptions = {}): Promise<void> {
    return settle(() => {
      throwIfAborted(options.signal, `state delete ${key}`);
      checkKey(key);
      this.#docs.delete(key);
    });
  }

  list(prefix: string, options: CallOptions = {}): Promise<string[]> {
    return settle(() => {
      throwIfAborted(options.signal, `state list ${prefix}`);
      return [...this.#docs.keys()].filter((k) => k.startsWith(prefix)).sort();
    });
  }

  // --- test controls ---

  /** A deep copy of everything stored, keyed by state key. */
  snapshot(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const key of [...this.#docs.keys()].sort()) out[key] = JSON.parse(this.#docs.get(key) ?? 'null') as JsonValue;
    return out;
  }

  /** The next `put` rejects with `error` and stores nothing (like a full disk). */
  failNextPut(error: Error): void {
    this.#failNextPut = error;
  }

  /** Writes raw text under a key, bypassing validation of the value, to simulate a corrupt document. */
  putRaw(key: string, value: JsonValue): void {
    checkKey(key);
    this.#docs.set(key, JSON.stringify(value));
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !isValidStateKey(key)) {
    throw new ValidationError(`state key ${JSON.stringify(key)} is not valid: use [a-z0-9._/-] without ".."`);
  }
}

/** Runs `fn` and turns its result or throw into a promise (so every failure is a rejection). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
