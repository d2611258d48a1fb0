import { ConfigError, type AdapterKind, type AnyAdapterDescriptor } from '@iotgw/domain';
import { checkAdapterOptions, fieldOf } from './adapter-options.js';

/** An adapter chosen in a config: its name and its options exactly as written there. */
export interface AdapterChoice {
  readonly adapter: string;
  readonly options?: unknown;
}

/** A choice whose options passed the descriptor's schema. */
export interface CheckedChoice {
  readonly descriptor: AnyAdapterDescriptor;
  readonly options: unknown;
}

/**
 * The adapters a product can build, as their packages describe them. An app adds the descriptors
 * it bundles and those its plugins bring; a config then chooses among them by name, so nothing
 * here (or in the app) names a concrete adapter. One registry per app or test: no global instance.
 */
export class AdapterRegistry {
  readonly #descriptors = new Map<string, AnyAdapterDescriptor>();

  constructor(descriptors: Iterable<AnyAdapterDescriptor> = []) {
    for (const descriptor of descriptors) this.add(descriptor);
  }

  /** Adds a descriptor; a second one of the same kind and name is a ConfigError (use `replace`). */
  add(descriptor: AnyAdapterDescriptor): this {
    const existing = this.get(descriptor.kind, descriptor.name);
    if (existing) {
      throw new ConfigError('adapters', `two ${descriptor.kind} adapters are named "${descriptor.name}": give one of them another name`);
    }
    this.#descriptors.set(keyOf(descriptor.kind, descriptor.name), descriptor);
    return this;
  }

  /** Puts a descriptor in place of the one of the same kind and name (a test or the demo swapping one). */
  replace(descriptor: AnyAdapterDescriptor): this {
    this.#descriptors.set(keyOf(descriptor.kind, descriptor.name), descriptor);
    return this;
  }

  get(kind: AdapterKind, name: string): AnyAdapterDescriptor | undefined {
    return this.#descriptors.get(keyOf(kind, name));
  }

  /** The names a config may give for `kind`, sorted. */
  names(kind: AdapterKind): string[] {
    return [...this.#descriptors.values()].filter((d) => d.kind === kind).map((d) => d.name).sort();
  }

  descriptors(): AnyAdapterDescriptor[] {
    return [...this.#descriptors.values()];
  }

  /** The descriptor named `name`; otherwise a ConfigError on `field` listing the known names. */
  require(kind: AdapterKind, name: string, field: string): AnyAdapterDescriptor {
    const descriptor = this.get(kind, name);
    if (descriptor) return descriptor;
    throw new ConfigError(field, this.unknownMessage(kind, name));
  }

  /** Why `name` is not an adapter of `kind`, with the names that are. */
  unknownMessage(kind: AdapterKind, name: string): string {
    const known = this.names(kind).map((n) => `"${n}"`);
    return (
      `unknown ${kind} adapter ${JSON.stringify(name)}: known ${kind} adapters are ${known.join(', ') || '(none)'}; ` +
      'an adapter from another package must be listed under "plugins"'
    );
  }

  /**
   * Finds the chosen adapter and validates its options with its own schema. Errors are
   * ConfigErrors naming `<field>.adapter` or `<field>.<option>` with the schema's message.
   */
  check(kind: AdapterKind, choice: AdapterChoice, field: string): CheckedChoice {
    const descriptor = this.require(kind, choice.adapter, `${field}.adapter`);
    const checked = checkAdapterOptions(descriptor, choice.options ?? {});
    if (checked.ok) return { descriptor, options: checked.value };
    const [first, ...more] = checked.problems.map((p) => ({ field: fieldOf(field, p.path), message: p.message }));
    if (!first) throw new ConfigError(field, 'invalid options');
    const also = more.map((p) => `; ${p.field}: ${p.message}`).join('');
    throw new ConfigError(first.field, `${first.message}${also}`);
  }
}

function keyOf(kind: AdapterKind, name: string): string {
  return `${kind}:${name}`;
}
