import { UnknownPluginError, type Clock, type FirmwareStore, type HubTransport, type Logger, type StateStore, type SubdeviceLink } from '@iotgw/domain';

/** What every adapter factory may use: the gateway's shared infrastructure. */
export interface PluginContext {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stateStore: StateStore;
  /** Directory the adapter may keep files in (download progress, partial images, sessions). */
  readonly dataDir: string;
}

/** Adapter-specific options, exactly as they appear in the gateway's config. */
export type PluginOptions = Readonly<Record<string, unknown>>;

/** The port a kind name produces, read from its prefix: `hub:*`, `firmware:*`, `link:*`. */
export type PortForKind<K extends string> = K extends `hub:${string}`
  ? HubTransport
  : K extends `firmware:${string}`
    ? FirmwareStore
    : K extends `link:${string}`
      ? SubdeviceLink
      : unknown;

export type PluginFactory<T> = (options: PluginOptions, context: PluginContext) => T | Promise<T>;

/**
 * Adapters by kind name. Apps register the adapters they ship (`hub:mqtt`, `link:serial`, ...);
 * a config then chooses among them by name, so the app package itself imports no adapter.
 * One registry per app (or per test): there is no global instance.
 */
export class PluginRegistry {
  readonly #factories = new Map<string, PluginFactory<unknown>>();

  /** Registers (or replaces, so a test can swap one adapter) the factory of `kind`. */
  register<K extends string>(kind: K, factory: PluginFactory<PortForKind<K>>): this {
    this.#factories.set(kind, factory);
    return this;
  }

  has(kind: string): boolean {
    return this.#factories.has(kind);
  }

  kinds(): string[] {
    return [...this.#factories.keys()].sort();
  }

  /** Builds the adapter registered as `kind`; UnknownPluginError lists the known kinds. */
  async create<K extends string>(kind: K, options: PluginOptions, context: PluginContext): Promise<PortForKind<K>> {
    const factory = this.#factories.get(kind);
    if (!factory) throw new UnknownPluginError(kind, this.kinds());
    return (await factory(options, context)) as PortForKind<K>;
  }
}
