import { defineAdapter, silentLogger, systemClock, type AdapterContext, type AdapterDescriptor, type AdapterKind, type AdapterPorts, type OptionsSchema } from '@iotgw/domain';

import { MemorySecretStore } from './memory-secret-store.js';
import { MemoryStateStore } from './memory-state-store.js';

/** Options as a config wrote them: any JSON object. */
export type AnyOptions = Readonly<Record<string, unknown>>;

/** A Standard Schema that accepts any object as options (fakes have nothing to check). */
export const anyOptions: OptionsSchema<AnyOptions> = {
  '~standard': {
    version: 1,
    vendor: 'iotgw-testkit',
    validate: (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { value: value as AnyOptions }
        : { issues: [{ message: 'must be an object' }] },
  },
};

/** A descriptor for a test double: `fakeAdapter('hub', 'memory', () => fakeHub)`. */
export function fakeAdapter<K extends AdapterKind>(
  kind: K,
  name: string,
  create: (options: AnyOptions, context: AdapterContext) => AdapterPorts[K] | Promise<AdapterPorts[K]>,
): AdapterDescriptor<K, AnyOptions> {
  return defineAdapter({ kind, name, summary: `test double (${kind} "${name}")`, options: anyOptions, create });
}

/**
 * What a descriptor's `create` gets, in memory, for tests: silent logger, system clock, empty
 * state and secret stores, no subdevices, dirs '.'; anything may be overridden.
 */
export function fakeAdapterContext(overrides: Partial<AdapterContext> = {}): AdapterContext {
  return {
    logger: silentLogger,
    clock: systemClock,
    stateStore: new MemoryStateStore(),
    dataDir: '.',
    secrets: new MemorySecretStore(),
    signal: new AbortController().signal,
    baseDir: '.',
    subdevices: [],
    ...overrides,
  };
}
