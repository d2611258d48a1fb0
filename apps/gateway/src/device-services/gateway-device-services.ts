import { FileStateStore, HubLogUpload, RemoteConfiguration, type AdapterRegistry, type Gateway, type LogCapture } from '@iotgw/app';
import { HubLogUploader } from '@iotgw/adapters-http';
import { offersDeviceServices, SystemClock, toGatewayError } from '@iotgw/domain';
import type { DeviceInfo } from '../config/device-info.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { remoteConfigApplier, type RuntimeLogger } from './remote-config-applier.js';
import { rejectRemoteConfig, saveRemoteConfig, type StoredRemoteConfig } from './remote-config-store.js';

export interface DeviceServicesContext {
  readonly gateway: Gateway;
  readonly config: GatewayConfig;
  readonly registry: AdapterRegistry;
  readonly info: DeviceInfo;
  readonly deviceInfoFile: string;
  readonly baseDir: string;
  /** Where a pushed config's secret references are looked up; default the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Absolute data dir. */
  readonly dataDir: string;
  readonly logger: RuntimeLogger;
  readonly capture: LogCapture;
  /** The pushed config this start runs on, if any. */
  readonly remote: StoredRemoteConfig | undefined;
  /** Stop and start again (a pushed config needs it, or it was rolled back). */
  readonly restart: (reason: string) => void;
}

/**
 * The gateway's own services at the hub, started with it: log upload at the level the console
 * sets, remote configuration, and the probation of a pushed config this start runs on (the hub
 * must be reached within `healthyWithinSec`, or the config is rolled back and the gateway
 * restarts on its file).
 */
export function startDeviceServices(c: DeviceServicesContext): { stop(): Promise<void> } {
  const { hub } = c.gateway;
  if (!offersDeviceServices(hub)) return { stop: () => Promise.resolve() };
  const settings = c.config.deviceServices;
  const stops: Array<() => Promise<void>> = [];
  const store = FileStateStore.inDataDir(c.dataDir);

  if (settings.logUpload.enabled && c.info.auth.mode === 'key') {
    const uploader = new HubLogUploader({ gateway: c.info.gateway, deviceSecret: c.info.auth.deviceSecret, ...(settings.logUpload.url ? { url: settings.logUpload.url } : {}) });
    const upload = new HubLogUpload({
      hub,
      uploader,
      capture: c.capture,
      clock: new SystemClock(),
      logger: c.logger.child({ component: 'log upload' }),
      onLevel: (level) => c.logger.setCaptureLevel(level),
      intervalMs: settings.logUpload.intervalSec * 1000,
    });
    upload.start();
    stops.push(async () => {
      await upload.flush();
      await upload.stop();
    });
  } else if (settings.logUpload.enabled) {
    c.logger.info('log upload needs key authentication (the hub signs uploads with the device secret): off for a certificate device');
  }

  if (settings.remoteConfig.enabled) {
    const stopping = new AbortController();
    const remote = new RemoteConfiguration({
      hub,
      logger: c.logger.child({ component: 'remote config' }),
      apply: remoteConfigApplier({ running: c.config, gateway: c.gateway, healthyWithinMs: settings.remoteConfig.healthyWithinSec * 1000, signal: stopping.signal, registry: c.registry, info: c.info, deviceInfoFile: c.deviceInfoFile, baseDir: c.baseDir, ...(c.env ? { env: c.env } : {}), store, logger: c.logger, restart: c.restart }),
    });
    remote.start();
    stops.push(() => {
      stopping.abort();
      return remote.stop();
    });
  }

  const pending = c.remote && !c.remote.confirmed ? c.remote : undefined;
  if (pending) {
    const withinMs = settings.remoteConfig.healthyWithinSec * 1000;
    let settled = false;
    const healthy = (): void => {
      if (settled || hub.state !== 'connected') return;
      settled = true;
      clearTimeout(timer);
      subscription.close();
      c.logger.info(`the configuration from the hub (received ${pending.receivedAt}) came up healthy: kept`);
      saveRemoteConfig(store, { ...pending, confirmed: true }).catch((error: unknown) => c.logger.warn(`confirming the configuration from the hub failed: ${toGatewayError(error).message}`));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      subscription.close();
      const reason = `the hub was not reached within ${settings.remoteConfig.healthyWithinSec} s of starting on it`;
      c.logger.error(`the configuration from the hub (received ${pending.receivedAt}) is rolled back: ${reason}; restarting on the config file`);
      void rejectRemoteConfig(store, pending, reason)
        .catch((error: unknown) => c.logger.error(`rolling back the configuration from the hub failed: ${toGatewayError(error).message}`))
        .finally(() => c.restart(`rolled back the configuration from the hub: ${reason}`));
    }, withinMs);
    const subscription = hub.on('state', healthy);
    healthy();
    stops.push(() => {
      clearTimeout(timer);
      subscription.close();
      return Promise.resolve();
    });
  }

  return {
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch((error: unknown) => c.logger.warn(`stopping the gateway's hub services: ${toGatewayError(error).message}`));
    },
  };
}
