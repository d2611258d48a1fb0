import type { Clock } from './clock.port.js';
import type { FirmwareStore } from './firmware-store.port.js';
import type { HubTransport } from './hub-transport.port.js';
import type { ChannelDeclaration } from './hub-channels.port.js';
import type { Logger } from './logger.port.js';
import type { SecretStore } from './secret-store.port.js';
import type { StateStore } from './state-store.port.js';
import type { SubdeviceLink } from './subdevice-link.port.js';
import type { GatewayIdentity, SubdeviceId } from '../subdevice-id.js';

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

/** How the gateway proves who it is to the hub, as the vendor's device file says (paths resolved). */
export type GatewayCredentials =
  | { readonly mode: 'key'; readonly deviceSecret: string }
  | { readonly mode: 'cert'; readonly certFile: string; readonly keyFile: string; readonly caFile?: string };

/**
 * The gateway itself, as the vendor's device file and the gateway-wide settings describe it: what a
 * hub adapter needs to connect, and the firmware source policy a firmware store enforces. Never
 * logged (it holds the device secret).
 */
export interface GatewayProfile {
  readonly identity: GatewayIdentity;
  /** Hub region (`china`, `ap-guangzhou`, ...). */
  readonly region: string;
  readonly credentials: GatewayCredentials;
  /** Topic words subdevice data travels on (`data`, `event`, ...), for every product. */
  readonly dataChannels: readonly string[];
  /**
   * Channels each product declares beyond those (its custom topics), by product id: `publish`
   * ones carry uplink, `subscribe` ones downlink. Absent: none.
   */
  readonly productChannels?: ChannelDeclaration['productChannels'];
  /** Firmware URLs may resolve to loopback / link-local addresses (emulator, lab only). */
  readonly firmwareSources: { readonly allowLoopback: boolean; readonly allowLinkLocal: boolean };
}

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
  /** Directory relative paths in the options are resolved against (`iotgw start`: its working directory, as for every path in the config). */
  readonly baseDir: string;
  /**
   * The subdevices this adapter deals with. For a link: the ones it serves (those its options name,
   * or, when they name none, every declared subdevice no other link names). Otherwise: all declared.
   */
  readonly subdevices: readonly SubdeviceId[];
  /**
   * Links only: product ids whose undeclared subdevices may say HELLO (at a free address) because
   * the gateway enrols them by the platform's dynamic registration. Empty: declared ones only.
   */
  readonly admitProducts?: readonly string[];
  /** The gateway device; absent only where no device file exists (tests of links and fakes). */
  readonly gateway?: GatewayProfile;
}

/** What `preflight` may use: where relative paths in the options point. */
export interface PreflightContext {
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
  /**
   * Checks of the world beyond the options' shape that `iotgw validate` reports before a start
   * would stumble on them (e.g. a serial path that does not exist). Issue paths are option keys.
   */
  preflight?(options: Options, context: PreflightContext): Promise<readonly OptionsIssue[]>;
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
