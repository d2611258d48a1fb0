import { DEFAULT_FIRMWARE_SOURCE_POLICY, DEFAULT_REQUEST_TIMEOUT_MS, type SubdeviceId } from '@iotgw/domain';

/** What happens to a subdevice that attaches without being declared. */
export type UndeclaredAttachPolicy = 'ignore' | 'register-bind-online';

/** When declared subdevices are brought online: all at start, or each when its link announces it. */
export type OnlinePolicy = 'at_start' | 'on_attach';

export interface OtaSettings {
  /** How many subdevices of one link receive firmware at the same time. */
  readonly concurrencyPerLink: number;
  readonly downloadTimeoutMs: number;
  readonly deliveryTimeoutMs: number;
  /** How long a job waits for its subdevice to (re)attach before delivery. */
  readonly attachTimeoutMs: number;
  /** How long a job found in 'burning' waits for the subdevice to come back with the new version. */
  readonly verdictTimeoutMs: number;
  /** Minimum time between two downloading reports (100% is always reported at once). */
  readonly progressIntervalMs: number;
  /** Hosts firmware may come from (`name` or `*.domain`); empty: any host but loopback/link-local. */
  readonly allowedHosts: readonly string[];
  /** Fetch firmware from this machine (the hub emulator); the control endpoint stays refused. */
  readonly allowLoopback: boolean;
  readonly allowLinkLocal: boolean;
  /** Largest firmware image accepted (bytes). */
  readonly maxImageBytes: number;
}

/** The gateway's own update (`$ota/update` on its own ids), when the product has an installer. */
export interface SelfUpdateSettings {
  /** How long a newly installed version has to become healthy (hub connected) before it is rolled back. */
  readonly healthyWithinMs: number;
  /** How long the installer may take. */
  readonly installTimeoutMs: number;
  /** Starts of a new version on probation before it is rolled back at once (a crash loop). */
  readonly maxProbationBoots: number;
  /** Where the verified image is copied for the installer. */
  readonly workDir: string;
}

export const DEFAULT_SELF_UPDATE_SETTINGS: Omit<SelfUpdateSettings, 'workDir'> = {
  healthyWithinMs: 120_000,
  installTimeoutMs: 10 * 60_000,
  maxProbationBoots: 3,
};

/** The use cases' settings, bound to GATEWAY_SETTINGS in each gateway's container. */
export interface GatewaySettings {
  /** Subdevices this gateway is responsible for. */
  readonly subdevices: readonly SubdeviceId[];
  readonly onlinePolicy: OnlinePolicy;
  /** `register-bind-online`: enrolled by dynamic registration (needs a registrar); default `ignore`. */
  readonly onUndeclaredAttach: UndeclaredAttachPolicy;
  /** Subdevices per hub online/offline call. */
  readonly batchSize: number;
  /** Timeout of each hub operation. */
  readonly hubTimeoutMs: number;
  /** Downlink messages that may wait per subdevice; beyond it the oldest is dropped (counted). */
  readonly downlinkQueueLength: number;
  /**
   * How long a subdevice gets to answer an RRPC request, counted from its arrival. The hub's
   * caller waits about 4 s (hub docs), so the default 3500 ms leaves time for the reply to travel.
   */
  readonly rrpcTimeoutMs: number;
  readonly ota: OtaSettings;
  readonly selfUpdate: SelfUpdateSettings;
}

export const DEFAULT_DOWNLINK_QUEUE_LENGTH = 64;

export const DEFAULT_OTA_SETTINGS: OtaSettings = {
  concurrencyPerLink: 1,
  downloadTimeoutMs: 10 * 60_000,
  deliveryTimeoutMs: 10 * 60_000,
  attachTimeoutMs: 5 * 60_000,
  verdictTimeoutMs: 5 * 60_000,
  progressIntervalMs: 1000,
  allowedHosts: DEFAULT_FIRMWARE_SOURCE_POLICY.allowedHosts,
  allowLoopback: DEFAULT_FIRMWARE_SOURCE_POLICY.allowLoopback,
  allowLinkLocal: DEFAULT_FIRMWARE_SOURCE_POLICY.allowLinkLocal,
  maxImageBytes: DEFAULT_FIRMWARE_SOURCE_POLICY.maxImageBytes,
};

export function gatewaySettings(
  input: Partial<Omit<GatewaySettings, 'ota' | 'selfUpdate'>> & { ota?: Partial<OtaSettings>; selfUpdate?: Partial<SelfUpdateSettings> } = {},
): GatewaySettings {
  return {
    subdevices: input.subdevices ?? [],
    onlinePolicy: input.onlinePolicy ?? 'on_attach',
    onUndeclaredAttach: input.onUndeclaredAttach ?? 'ignore',
    // The hub accepts many devices per message; 50 keeps each message small.
    batchSize: input.batchSize ?? 50,
    hubTimeoutMs: input.hubTimeoutMs ?? 10_000,
    downlinkQueueLength: input.downlinkQueueLength ?? DEFAULT_DOWNLINK_QUEUE_LENGTH,
    rrpcTimeoutMs: input.rrpcTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ota: { ...DEFAULT_OTA_SETTINGS, ...input.ota },
    selfUpdate: { ...DEFAULT_SELF_UPDATE_SETTINGS, workDir: '.iotgw/self-update', ...input.selfUpdate },
  };
}

/** What a running gateway may change in its settings (see `updateLiveSettings`). */
export interface LiveSettingsChange {
  readonly downlinkQueueLength?: number;
  readonly ota?: Partial<Pick<OtaSettings, 'allowedHosts' | 'maxImageBytes' | 'concurrencyPerLink'>>;
}

/**
 * Changes, in place, the settings the use cases read at each use (the downlink bound at each
 * message, the firmware source policy at each job, the delivery slots per link at each slot decision): a configuration from the hub applies them
 * without a restart. Only the assembly that created `settings` calls this; everyone else sees it
 * read-only. Other settings are read once at start and need a restart.
 */
export function updateLiveSettings(settings: GatewaySettings, change: LiveSettingsChange): void {
  const owned = settings as { downlinkQueueLength: number; ota: OtaSettings };
  if (change.downlinkQueueLength !== undefined) owned.downlinkQueueLength = change.downlinkQueueLength;
  if (change.ota) Object.assign(owned.ota as { allowedHosts: readonly string[]; maxImageBytes: number; concurrencyPerLink: number }, change.ota);
}
