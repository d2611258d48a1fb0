import 'reflect-metadata';
import { subdeviceId, type DeviceRegistrar, type OtaReport, type SubdeviceId } from '@iotgw/domain';
import {
  CapturingLogger,
  FakeFirmwareStore,
  FakeHub,
  ManualClock,
  MemorySecretStore,
  MemoryStateStore,
  MemorySubdeviceLink,
  fakeAdapter,
  type MemorySubdeviceLinkOptions,
} from '@iotgw/testkit';
import { assembleGateway, AdapterRegistry, type Gateway, type GatewayConfig } from '../../src/index.js';

export const SUB_A = subdeviceId('PRODUCTAAA', 'sensor-a');
export const SUB_B = subdeviceId('PRODUCTAAA', 'sensor-b');
export const SUB_C = subdeviceId('PRODUCTBBB', 'valve:1');
export const SECRETS: Record<string, string> = {
  'PRODUCTAAA/sensor-a': 'c2VjcmV0LWE=',
  'PRODUCTAAA/sensor-b': 'c2VjcmV0LWI=',
  'PRODUCTBBB/valve:1': 'c2VjcmV0LWM=',
};

export interface HarnessOptions {
  readonly subdevices?: readonly SubdeviceId[];
  /** Bound on the hub before the test (default: every declared subdevice). */
  readonly bound?: readonly SubdeviceId[];
  readonly onlinePolicy?: GatewayConfig['onlinePolicy'];
  readonly batchSize?: number;
  readonly ota?: GatewayConfig['ota'];
  readonly linkCount?: number;
  /** Options of each link, by index (e.g. `{ capabilities: { supportsFirmware: false } }`). */
  readonly linkOptions?: ReadonlyArray<MemorySubdeviceLinkOptions>;
  readonly hubTimeoutMs?: number;
  readonly downlinkQueueLength?: number;
  /** QoS 1 messages the fake hub queues while disconnected (default 1000). */
  readonly hubOutboxLimit?: number;
  readonly rrpcTimeoutMs?: number;
  /** The hub adapter offers only the core HubTransport: no RRPC, shadows or time service (a third-party hub). */
  readonly coreHubOnly?: boolean;
  // Shared across a "restart": the same disk, the same downloaded images.
  readonly store?: MemoryStateStore;
  readonly firmware?: FakeFirmwareStore;
  readonly secrets?: MemorySecretStore;
  readonly registrar?: DeviceRegistrar;
  readonly onUndeclaredAttach?: GatewayConfig['onUndeclaredAttach'];
}

export interface Harness {
  readonly hub: FakeHub;
  readonly links: MemorySubdeviceLink[];
  readonly link: MemorySubdeviceLink;
  readonly firmware: FakeFirmwareStore;
  readonly store: MemoryStateStore;
  readonly clock: ManualClock;
  readonly logger: CapturingLogger;
  readonly secrets: MemorySecretStore;
  readonly gateway: Gateway;
  idle(): Promise<void>;
}

/** A gateway assembled through the plugin registry from the testkit fakes, not started. */
export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const subdevices = options.subdevices ?? [SUB_A, SUB_B];
  const hub = new FakeHub({
    subdevices: Object.entries(SECRETS).map(([key, secret]) => ({ subdevice: keyToId(key), secret })),
    bound: options.bound ?? subdevices,
    ...(options.hubOutboxLimit ? { outboxLimit: options.hubOutboxLimit } : {}),
  });
  const links = Array.from({ length: options.linkCount ?? options.linkOptions?.length ?? 1 }, (_, i) => new MemorySubdeviceLink({ name: `link${i}`, ...options.linkOptions?.[i] }));
  const firmware = options.firmware ?? new FakeFirmwareStore();
  const store = options.store ?? new MemoryStateStore();
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const secrets = options.secrets ?? new MemorySecretStore(SECRETS);
  const registry = new AdapterRegistry([
    fakeAdapter('hub', 'memory', () => (options.coreHubOnly ? coreOnly(hub) : hub)),
    fakeAdapter('firmware', 'memory', () => firmware),
    fakeAdapter('link', 'memory', (o) => {
      const link = links[Number(o['index'])];
      if (!link) throw new Error(`no link ${String(o['index'])}`);
      return link;
    }),
  ]);
  const gateway = await assembleGateway(
    {
      hub: { adapter: 'memory' },
      firmware: { adapter: 'memory' },
      links: links.map((_, index) => ({ adapter: 'memory', options: { index } })),
      subdevices: [...subdevices],
      ...(options.onlinePolicy ? { onlinePolicy: options.onlinePolicy } : {}),
      ...(options.onUndeclaredAttach ? { onUndeclaredAttach: options.onUndeclaredAttach } : {}),
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      hubTimeoutMs: options.hubTimeoutMs ?? 2000,
      ...(options.downlinkQueueLength ? { downlinkQueueLength: options.downlinkQueueLength } : {}),
      ...(options.rrpcTimeoutMs ? { rrpcTimeoutMs: options.rrpcTimeoutMs } : {}),
      ota: { attachTimeoutMs: 2000, verdictTimeoutMs: 2000, deliveryTimeoutMs: 5000, ...options.ota },
    },
    registry,
    { logger, clock, stateStore: store, secretStore: secrets, ...(options.registrar ? { registrar: options.registrar } : {}) },
  );
  return {
    hub,
    links,
    link: links[0]!,
    firmware,
    store,
    clock,
    logger,
    secrets,
    gateway,
    idle: () => gateway.service.idle(),
  };
}

/** The same hub seen without its optional subdevice services (methods bound to the real one: it has private fields). */
const SUBDEVICE_SERVICES = new Set<PropertyKey>(['replyRrpc', 'getShadow', 'updateShadow', 'hubTime']);
function coreOnly(hub: FakeHub): FakeHub {
  return new Proxy(hub, {
    get(target, key) {
      if (SUBDEVICE_SERVICES.has(key)) return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function keyToId(key: string): SubdeviceId {
  const [p, d] = key.split('/');
  return subdeviceId(p!, d!);
}

/**
 * Waits until `check` holds: first on macrotask turns (fast, no timers), then polling every 2 ms
 * so work bounded by real timeouts (50 ms in some tests) can finish; fails after `ms` of wall time.
 */
// 30 s: each wait ends as soon as its condition holds; on a loaded CI box (load 12, the 5000-push
// flood in the same file) 5 s was missed by waits that then passed.
export async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let turn = 0; ; turn++) {
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => (turn < 200 ? setImmediate(r) : setTimeout(r, 2)));
  }
}

export function progressStates(hub: FakeHub, sub: SubdeviceId): string[] {
  return hub.reports
    .filter((r) => r.subdevice.deviceName === sub.deviceName && r.subdevice.productId === sub.productId)
    .map((r) =>
      r.kind === 'version'
        ? `version ${r.version}`
        : r.report.state === 'downloading'
          ? `downloading ${r.report.percent}`
          : r.report.state === 'fail'
            ? `fail ${r.report.code}`
            : r.report.state === 'burning' && r.report.percent !== undefined
              ? `burning ${r.report.percent}`
              : r.report.state,
    );
}

/** The `fail` reports the hub received for `sub`, in order. */
export function failReports(hub: FakeHub, sub: SubdeviceId): Array<Extract<OtaReport, { state: 'fail' }>> {
  return hub.reports.flatMap((r) =>
    r.kind === 'progress' && r.report.state === 'fail' && r.subdevice.deviceName === sub.deviceName ? [r.report] : [],
  );
}
