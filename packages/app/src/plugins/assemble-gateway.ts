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
  type AdapterContext,
  type CallOptions,
  type Clock,
  type FirmwareStore,
  type GatewayProfile,
  type DeviceRegistrar,
  type GatewayInstaller,
  type HubTransport,
  type Logger,
  type SecretStore,
  type StateStore,
  type SubdeviceId,
  type SubdeviceLink,
} from '@iotgw/domain';
import { join } from 'node:path';
import { gatewaySettings, updateLiveSettings, type LiveSettingsChange, type GatewaySettings, type OnlinePolicy, type OtaSettings, type SelfUpdateSettings, type UndeclaredAttachPolicy } from '../gateway-settings.js';
import { SelfUpdate } from '../use-cases/self-update/self-update.js';
import { SubdeviceEnrolment } from '../use-cases/subdevice-enrolment.js';
import { RegisteredSecretStore } from '../infra/registered-secret-store.js';
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
import type { AdapterChoice, AdapterRegistry } from './adapter-registry.js';
import { createAdapter } from './create-adapter.js';
import { GatewayLinks, type LinkChange } from './gateway-links.js';

/** What a gateway is made of. Adapters are named, never imported. */
export interface GatewayConfig {
  /** Where state and adapters' files live. Default `./.iotgw`. */
  readonly dataDir?: string;
  /** Where relative paths in adapter options point. Default the working directory. */
  readonly baseDir?: string;
  /** The gateway device (identity, credentials...), handed to adapters that connect as it. */
  readonly gateway?: GatewayProfile;
  readonly hub: AdapterChoice;
  readonly firmware: AdapterChoice;
  readonly links: readonly AdapterChoice[];
  /** Declared subdevices as `PRODUCTID/deviceName` or ids. */
  readonly subdevices?: ReadonlyArray<string | SubdeviceId>;
  readonly onlinePolicy?: OnlinePolicy;
  /** `register-bind-online`: undeclared subdevices are enrolled by dynamic registration (needs a `registrar` override). */
  readonly onUndeclaredAttach?: UndeclaredAttachPolicy;
  /** Products whose undeclared subdevices links admit, for that enrolment (handed to link adapters). */
  readonly admitProducts?: readonly string[];
  readonly batchSize?: number;
  readonly hubTimeoutMs?: number;
  /** Downlink messages that may wait per subdevice (default 64); the oldest beyond it is dropped, counted. */
  readonly downlinkQueueLength?: number;
  /** How long a subdevice gets to answer an RRPC request (default 3500 ms). */
  readonly rrpcTimeoutMs?: number;
  readonly ota?: Partial<OtaSettings>;
  /** `PRODUCTID/deviceName` → device secret, for binding. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** A JSON file of secrets, read when a secret is not in `secrets` or the environment. */
  readonly secretsFile?: string;
  /** The gateway's own update; used only with an `installer` override. */
  readonly selfUpdate?: Partial<Omit<SelfUpdateSettings, 'workDir'>>;
}

/** Infrastructure the caller may supply instead of the defaults (tests pass fakes). */
export interface GatewayOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly stateStore?: StateStore;
  readonly secretStore?: SecretStore;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Aborts adapter creation (a stop during start-up); handed to every adapter factory. */
  readonly signal?: AbortSignal;
  /** Installs the gateway's own software: with one, the gateway takes updates pushed on its own ids. */
  readonly installer?: GatewayInstaller;
  /** The platform's dynamic registration: with one, `onUndeclaredAttach: "register-bind-online"` enrols subdevices. */
  readonly registrar?: DeviceRegistrar;
  /** Parent container; default tsyringe's root. */
  readonly container?: DependencyContainer;
}

/** One assembled gateway: its own container, its adapters, its use cases. */
export interface Gateway {
  readonly container: DependencyContainer;
  readonly service: GatewayService;
  readonly hub: HubTransport;
  /** The links it runs now (a configuration from the hub may change them: see `applyLinks`). */
  readonly links: readonly SubdeviceLink[];
  readonly settings: GatewaySettings;
  /**
   * Changes the links while running, without touching the hub connection: links that went or
   * changed (adapter, options, served subdevices) are stopped (their subdevices go offline), new
   * ones built by their adapters' factories and started (their subdevices attach and come online),
   * unchanged ones keep running. A bad choice is a ConfigError and changes nothing; a new link
   * that does not start within `timeoutMs` rejects with its error after the change was undone.
   */
  applyLinks(links: readonly AdapterChoice[], options?: CallOptions): Promise<LinkChange>;
  /** Changes the settings the use cases read at each use (downlink bound, firmware source policy, OTA delivery slots per link), at once. */
  applySettings(change: LiveSettingsChange): void;
  /**
   * Replaces the configured subdevice secrets (`config.secrets`) from the next lookup (a bind).
   * ConfigError when the gateway was given its own secret store (`overrides.secretStore`).
   */
  applySecrets(secrets: Readonly<Record<string, string>>): void;
  /** The gateway's own update (only with an installer). */
  readonly selfUpdate: SelfUpdate | undefined;
  start(options?: CallOptions): Promise<void>;
  /** Stops the use cases, the links and the hub (reverse order of start), then the container. Idempotent. */
  dispose(options?: CallOptions): Promise<void>;
}

/**
 * Builds a gateway from a config naming its adapters: checks each choice's options with its
 * descriptor, creates the adapters, binds them to the domain's tokens in a child container of its
 * own (so two gateways in one process share nothing) and resolves the use cases from it.
 */
export async function assembleGateway(
  config: GatewayConfig,
  registry: AdapterRegistry,
  overrides: GatewayOverrides = {},
): Promise<Gateway> {
  const dataDir = config.dataDir ?? '.iotgw';
  const logger = overrides.logger ?? silentLogger;
  // Every choice is checked before anything is built: a config mistake builds nothing.
  const hubChoice = registry.check('hub', config.hub, 'hub');
  const firmwareChoice = registry.check('firmware', config.firmware, 'firmware');
  for (const [i, choice] of config.links.entries()) registry.check('link', choice, `links.${i}`);
  const stateStore = overrides.stateStore ?? FileStateStore.inDataDir(dataDir);
  const configuredSecrets =
    overrides.secretStore ??
    new EnvOrFileSecretStore({
      ...(config.secrets ? { secrets: config.secrets } : {}),
      env: overrides.env ?? process.env,
      ...(config.secretsFile ? { file: config.secretsFile } : {}),
    });
  // Secrets from dynamic registration are kept in the data dir, behind the configured ones.
  const secretStore = overrides.registrar ? new RegisteredSecretStore(configuredSecrets, stateStore) : configuredSecrets;
  const settings = gatewaySettings({
    subdevices: (config.subdevices ?? []).map((s, i) => {
      try {
        return typeof s === 'string' ? parseSubdeviceKey(s) : s;
      } catch (error) {
        throw new ConfigError(`subdevices[${i}]`, toGatewayError(error).message);
      }
    }),
    ...(config.onlinePolicy ? { onlinePolicy: config.onlinePolicy } : {}),
    ...(config.onUndeclaredAttach ? { onUndeclaredAttach: config.onUndeclaredAttach } : {}),
    ...(config.batchSize ? { batchSize: config.batchSize } : {}),
    ...(config.hubTimeoutMs ? { hubTimeoutMs: config.hubTimeoutMs } : {}),
    ...(config.downlinkQueueLength ? { downlinkQueueLength: config.downlinkQueueLength } : {}),
    ...(config.rrpcTimeoutMs ? { rrpcTimeoutMs: config.rrpcTimeoutMs } : {}),
    ...(config.ota ? { ota: config.ota } : {}),
    selfUpdate: { ...config.selfUpdate, workDir: join(dataDir, 'self-update') },
  });
  const context: AdapterContext = {
    logger,
    clock: overrides.clock ?? new SystemClock(),
    stateStore,
    dataDir,
    secrets: secretStore,
    signal: overrides.signal ?? new AbortController().signal,
    baseDir: config.baseDir ?? process.cwd(),
    subdevices: settings.subdevices,
    ...(config.admitProducts && config.admitProducts.length > 0 ? { admitProducts: config.admitProducts } : {}),
    ...(config.gateway ? { gateway: config.gateway } : {}),
  };
  const gatewayLinks = new GatewayLinks({ registry, declared: settings.subdevices, context, logger });

  // Created in order; on a failure the ones already built are closed again.
  const built: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const undo of built.reverse()) await undo().catch(() => {});
  };
  let hub: HubTransport;
  let firmware: FirmwareStore;
  let links: SubdeviceLink[];
  try {
    hub = await createAdapter('hub', hubChoice, { ...context, logger: logger.child({ component: 'hub' }) });
    const builtHub = hub;
    built.push(() => builtHub.close());
    firmware = await createAdapter('firmware', firmwareChoice, { ...context, logger: logger.child({ component: 'firmware' }) });
    // Links still built at the end (also those a configuration from the hub added) are stopped.
    built.push(() => gatewayLinks.stopAll());
    links = await gatewayLinks.build(config.links);
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
  child.registerInstance(SECRET_STORE, secretStore);
  const secrets = secretStore;
  const service = resolveService(child);
  const installer = overrides.installer;
  const selfUpdate = installer
    ? new SelfUpdate(hub, firmware, context.stateStore, installer, context.clock, settings, logger.child({ component: 'self-update' }))
    : undefined;
  if (selfUpdate) service.ota.leaveGatewayUpdates();
  const enrolment =
    overrides.registrar && secrets instanceof RegisteredSecretStore
      ? new SubdeviceEnrolment(overrides.registrar, secrets, child.resolve(SubdeviceDirectory), service.presence, service.binding, settings, logger.child({ component: 'enrolment' }))
      : undefined;

  let disposed: Promise<void> | undefined;
  return {
    container: child,
    service,
    hub,
    get links() {
      return gatewayLinks.links;
    },
    settings,
    applyLinks: (choices, options) => gatewayLinks.apply(service, choices, options),
    applySettings: (change) => {
      updateLiveSettings(settings, change);
      service.ota.settingsChanged();
    },
    applySecrets: (secrets) => {
      if (!(configuredSecrets instanceof EnvOrFileSecretStore)) throw new ConfigError('secrets', 'this gateway was assembled with its own secret store (overrides.secretStore): change the secrets there');
      configuredSecrets.replaceSecrets(secrets);
    },
    selfUpdate,
    start: async (options) => {
      // Before the hub connects: a version on probation starts its clock now.
      await selfUpdate?.start(options);
      await service.start(options);
      enrolment?.start();
    },
    dispose: (options) =>
      (disposed ??= (async () => {
        await selfUpdate?.stop();
        await enrolment?.stop();
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
