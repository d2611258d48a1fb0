import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import {
  CLOCK,
  ConfigError,
  FIRMWARE_STORE,
  GATEWAY_SETTINGS,
  HUB_TRANSPORT,
  LOGGER,
  SECRET_STORE,
  STATE_STORE,
  SUBDEVICE_LINKS,
  parseSubdeviceKey,
  silentLogger,
  toGatewayError,
  type CallOptions,
  type Clock,
  type FirmwareStore,
  type HubTransport,
  type Logger,
  type SecretStore,
  type StateStore,
  type SubdeviceId,
  type SubdeviceLink,
} from '@iotgw/domain';
import { join } from 'node:path';
import { gatewaySettings, type GatewaySettings, type OnlinePolicy, type OtaSettings } from '../gateway-settings.js';
import { EnvOrFileSecretStore } from '../infra/env-or-file-secret-store.js';
import { FileStateStore } from '../infra/file-state-store.js';
import { SystemClock } from '@iotgw/domain';
import { Binding } from '../use-cases/binding.js';
import { DataForwarding } from '../use-cases/data-forwarding.js';
import { GatewayService } from '../use-cases/gateway-service.js';
import { OtaCoordinator } from '../use-cases/ota-coordinator.js';
import { SubdeviceDirectory } from '../use-cases/subdevice-directory.js';
import { SubdevicePresence } from '../use-cases/subdevice-presence.js';
import { SubdeviceSessions } from '../use-cases/subdevice-sessions.js';
import type { PluginContext, PluginOptions, PluginRegistry } from './plugin-registry.js';

/** An adapter chosen by kind name, with its own options. */
export interface PluginChoice {
  readonly kind: string;
  readonly options?: PluginOptions;
}

/** What a gateway is made of. Adapters are named, never imported. */
export interface GatewayConfig {
  /** Where state and adapters' files live. Default `./.iotgw`. */
  readonly dataDir?: string;
  readonly hub: PluginChoice;
  readonly firmware: PluginChoice;
  readonly links: readonly PluginChoice[];
  /** Declared subdevices as `PRODUCTID/deviceName` or ids. */
  readonly subdevices?: ReadonlyArray<string | SubdeviceId>;
  readonly onlinePolicy?: OnlinePolicy;
  readonly batchSize?: number;
  readonly hubTimeoutMs?: number;
  /** How long a subdevice gets to answer an RRPC request (default 3500 ms). */
  readonly rrpcTimeoutMs?: number;
  readonly ota?: Partial<OtaSettings>;
  /** `PRODUCTID/deviceName` → device secret, for binding. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** A JSON file of secrets, read when a secret is not in `secrets` or the environment. */
  readonly secretsFile?: string;
}

/** Infrastructure the caller may supply instead of the defaults (tests pass fakes). */
export interface GatewayOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly stateStore?: StateStore;
  readonly secretStore?: SecretStore;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parent container; default tsyringe's root. */
  readonly container?: DependencyContainer;
}

/** One assembled gateway: its own container, its adapters, its use cases. */
export interface Gateway {
  readonly container: DependencyContainer;
  readonly service: GatewayService;
  readonly hub: HubTransport;
  readonly links: readonly SubdeviceLink[];
  readonly settings: GatewaySettings;
  start(options?: CallOptions): Promise<void>;
  /** Stops the use cases, the links and the hub (reverse order of start), then the container. Idempotent. */
  dispose(options?: CallOptions): Promise<void>;
}

/**
 * Builds a gateway from a config naming its adapters: creates them through the registry, binds
 * them to the domain's tokens in a child container of its own (so two gateways in one process
 * share nothing) and resolves the use cases from it.
 */
export async function assembleGateway(
  config: GatewayConfig,
  registry: PluginRegistry,
  overrides: GatewayOverrides = {},
): Promise<Gateway> {
  const dataDir = config.dataDir ?? '.iotgw';
  const logger = overrides.logger ?? silentLogger;
  const context: PluginContext = {
    logger,
    clock: overrides.clock ?? new SystemClock(),
    stateStore: overrides.stateStore ?? new FileStateStore(join(dataDir, 'state')),
    dataDir,
  };
  const settings = gatewaySettings({
    subdevices: (config.subdevices ?? []).map((s, i) => {
      try {
        return typeof s === 'string' ? parseSubdeviceKey(s) : s;
      } catch (error) {
        throw new ConfigError(`subdevices[${i}]`, toGatewayError(error).message);
      }
    }),
    ...(config.onlinePolicy ? { onlinePolicy: config.onlinePolicy } : {}),
    ...(config.batchSize ? { batchSize: config.batchSize } : {}),
    ...(config.hubTimeoutMs ? { hubTimeoutMs: config.hubTimeoutMs } : {}),
    ...(config.rrpcTimeoutMs ? { rrpcTimeoutMs: config.rrpcTimeoutMs } : {}),
    ...(config.ota ? { ota: config.ota } : {}),
  });

  // Created in order; on a failure the ones already built are closed again.
  const built: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const undo of built.reverse()) await undo().catch(() => {});
  };
  let hub: HubTransport;
  let firmware: FirmwareStore;
  const links: SubdeviceLink[] = [];
  try {
    hub = await registry.create(asKind(config.hub.kind, 'hub', 'hub'), config.hub.options ?? {}, childContext(context, 'hub'));
    const builtHub = hub;
    built.push(() => builtHub.close());
    firmware = await registry.create(
      asKind(config.firmware.kind, 'firmware', 'firmware'),
      config.firmware.options ?? {},
      childContext(context, 'firmware'),
    );
    for (const [i, choice] of config.links.entries()) {
      const link = await registry.create(asKind(choice.kind, 'link', `links[${i}]`), choice.options ?? {}, childContext(context, `link ${i}`));
      links.push(link);
      built.push(() => link.stop());
    }
  } catch (error) {
    await cleanup();
    throw error;
  }

  const child = (overrides.container ?? rootContainer).createChildContainer();
  child.registerInstance(HUB_TRANSPORT, hub);
  child.registerInstance(FIRMWARE_STORE, firmware);
  child.registerInstance(SUBDEVICE_LINKS, links);
  child.registerInstance(STATE_STORE, context.stateStore);
  child.registerInstance(CLOCK, context.clock);
  child.registerInstance(LOGGER, logger);
  child.registerInstance(GATEWAY_SETTINGS, settings);
  child.registerInstance(
    SECRET_STORE,
    overrides.secretStore ??
      new EnvOrFileSecretStore({
        ...(config.secrets ? { secrets: config.secrets } : {}),
        env: overrides.env ?? process.env,
        ...(config.secretsFile ? { file: config.secretsFile } : {}),
      }),
  );
  const service = resolveService(child);

  let disposed: Promise<void> | undefined;
  return {
    container: child,
    service,
    hub,
    links,
    settings,
    start: (options) => service.start(options),
    dispose: (options) =>
      (disposed ??= (async () => {
        await service.stop(options);
        // Adapters that were built but never started still get their chance to let go.
        await cleanup();
        await child.dispose();
      })()),
  };
}

/** Resolves the use cases as singletons of this container, so they share sessions and the directory. */
export function resolveService(child: DependencyContainer): GatewayService {
  child.registerSingleton(SubdeviceDirectory);
  child.registerSingleton(SubdeviceSessions);
  child.registerSingleton(SubdevicePresence);
  child.registerSingleton(Binding);
  child.registerSingleton(DataForwarding);
  child.registerSingleton(OtaCoordinator);
  child.registerSingleton(GatewayService);
  return child.resolve(GatewayService);
}

function asKind<P extends 'hub' | 'firmware' | 'link'>(kind: string, prefix: P, field: string): `${P}:${string}` {
  if (!kind.startsWith(`${prefix}:`)) {
    throw new ConfigError(field, `adapter kind ${JSON.stringify(kind)} must start with "${prefix}:" (e.g. "${prefix}:memory")`);
  }
  return kind as `${P}:${string}`;
}

function childContext(context: PluginContext, name: string): PluginContext {
  return { ...context, logger: context.logger.child({ component: name }) };
}
