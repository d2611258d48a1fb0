import type { Clock } from './clock.port.js';
import type { FirmwareStore } from './firmware-store.port.js';
import type { HubTransport } from './hub-transport.port.js';
import type { Logger } from './logger.port.js';
import type { SecretStore } from './secret-store.port.js';
import type { StateStore } from './state-store.port.js';
import type { SubdeviceLink } from './subdevice-link.port.js';
import type { SubdeviceId } from '../subdevice-id.js';

/**
 * The shape of a Standard Schema v1 validator (https://standardschema.dev), which zod 4, valibot
 * and arktype schemas all are. The domain names only this shape, so an adapter may validate its
 * options with any of them and the domain still imports nothing.
 */
export interface OptionsSchema<Output> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => OptionsValidation<Output> | Promise<OptionsValidation<Output>>;
  };
}

export type OptionsValidation<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<OptionsIssue> };

export interface OptionsIssue {
  readonly message: string;
  /** Where in the options the issue is: keys and indexes (Standard Schema allows `{ key }` segments). */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The ports an adapter can provide, by kind. */
export interface AdapterPorts {
  readonly hub: HubTransport;
  readonly firmware: FirmwareStore;
  readonly link: SubdeviceLink;
}

export type AdapterKind = keyof AdapterPorts;

/** What the app hands every adapter factory: the gateway's shared infrastructure. */
export interface AdapterContext {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stateStore: StateStore;
  /** Directory the adapter may keep files in (download progress, partial images, sessions). */
  readonly dataDir: string;
  /** Device secrets by subdevice (never logged). */
  readonly secrets: SecretStore;
  /** Aborted when the gateway stops building (a stop during start-up). */
  readonly signal: AbortSignal;
  /** Directory relative paths in the options are resolved against (the config file's). */
  readonly baseDir: string;
}

/**
 * An adapter package describes itself with one of these: the product is assembled from
 * descriptors, so a new adapter (ours or a user's package listed under "plugins") needs no edit
 * anywhere else. `name` is what a config writes (`"adapter": "serial"`).
 */
export interface AdapterDescriptor<K extends AdapterKind = AdapterKind, Options = unknown> {
  readonly kind: K;
  readonly name: string;
  /** One line for `iotgw validate` / the config reference. */
  readonly summary: string;
  /** Validates the adapter's options exactly as they appear in the config. */
  readonly options: OptionsSchema<Options>;
  /** Builds the adapter from validated options. */
  create(options: Options, context: AdapterContext): AdapterPorts[K] | Promise<AdapterPorts[K]>;
  /** Links only: the subdevices these options name (checked against the device file before start). */
  subdevicesOf?(options: Options): readonly SubdeviceId[];
}

/**
 * Any descriptor, as a registry holds them. Options are erased to unknown (`create` is a method, so
 * a descriptor of specific options still fits); the registry only ever passes `create` what the
 * descriptor's own schema returned.
 */
export type AnyAdapterDescriptor = AdapterDescriptor<AdapterKind, unknown>;

/** An identity function that keeps the descriptor's option type checked against its schema. */
export function defineAdapter<K extends AdapterKind, Options>(descriptor: AdapterDescriptor<K, Options>): AdapterDescriptor<K, Options> {
  return descriptor;
}
