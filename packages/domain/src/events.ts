/** A handle to stop listening. Closing twice is harmless. */
export interface Subscription {
  close(): void;
}

export type EventMap = { [event: string]: (payload: never) => void };

/** Something that emits typed events; `on` returns a handle instead of needing `off`. */
export interface EventSource<E extends EventMap> {
  on<K extends keyof E & string>(event: K, listener: E[K]): Subscription;
}

/**
 * A minimal typed emitter the domain owns (the domain may not import node:events).
 * A listener that throws does not stop the others; the error goes to `onListenerError`.
 */
export class TypedEmitter<E extends EventMap> implements EventSource<E> {
  readonly #listeners = new Map<keyof E, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown, event: string) => void;

  constructor(onListenerError: (error: unknown, event: string) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  on<K extends keyof E & string>(event: K, listener: E[K]): Subscription {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    // Wrap so the same function can subscribe twice and each handle removes only its own.
    const entry = (payload: never): void => listener(payload);
    set.add(entry);
    return { close: () => void set.delete(entry) };
  }

  emit<K extends keyof E & string>(event: K, payload: Parameters<E[K]>[0]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  listenerCount(event: keyof E & string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  clear(): void {
    this.#listeners.clear();
  }
}
