import { toGatewayError, type JsonValue, type Logger, type StateStore } from '@iotgw/domain';

/**
 * Writes one StateStore key, keeping only the newest document: while a write is on its way,
 * later documents replace each other and only the last one is written after it. A flood of
 * changes costs one pending document, never a queue; writes of the key never overtake each other.
 * `undefined` deletes the key.
 */
export class LatestStateWriter {
  #pending: { readonly doc: JsonValue | undefined } | undefined;
  #draining: Promise<void> | undefined;

  constructor(
    private readonly store: StateStore,
    readonly key: string,
    private readonly logger: Logger,
  ) {}

  write(doc: JsonValue | undefined): void {
    this.#pending = { doc };
    this.#draining ??= this.#drain();
  }

  /** Resolves once every document handed over so far is on disk (or its failure logged). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      for (let next = this.#pending; next; next = this.#pending) {
        this.#pending = undefined;
        try {
          if (next.doc === undefined) await this.store.delete(this.key);
          else await this.store.put(this.key, next.doc);
        } catch (error) {
          this.logger.error(`could not persist the OTA job: ${toGatewayError(error).message}`, { key: this.key });
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }
}
