import { DEFAULT_FIRMWARE_SOURCE_POLICY, DEFAULT_REQUEST_TIMEOUT_MS, type SubdeviceId } from '@iotgw/domain';

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

/** The use cases' settings, bound to GATEWAY_SETTINGS in each gateway's container. */
export interface GatewaySettings {
  /** Subdevices this gateway is responsible for. */
  readonly subdevices: readonly SubdeviceId[];
  readonly onlinePolicy: OnlinePolicy;
  /** Subdevices per hub online/offline call. */
  readonly batchSize: number;
  /** Timeout of each hub operation. */
  readonly hubTimeoutMs: number;
  /**
   * How long a subdevice gets to answer an RRPC request, counted from its arrival. The hub's
   * caller waits about 4 s (hub docs), so the default 3500 ms leaves time for the reply to travel.
   */
  readonly rrpcTimeoutMs: number;
  readonly ota: OtaSettings;
}

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

export function gatewaySettings(input: Partial<Omit<GatewaySettings, 'ota'>> & { ota?: Partial<OtaSettings> } = {}): GatewaySettings {
  return {
    subdevices: input.subdevices ?? [],
    onlinePolicy: input.onlinePolicy ?? 'on_attach',
    // The hub accepts many devices per message; 50 keeps each message small.
    batchSize: input.batchSize ?? 50,
    hubTimeoutMs: input.hubTimeoutMs ?? 10_000,
    rrpcTimeoutMs: input.rrpcTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    ota: { ...DEFAULT_OTA_SETTINGS, ...input.ota },
  };
}
