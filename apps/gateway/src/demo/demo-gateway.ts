import { join } from 'node:path';
import { assembleGateway, type AdapterRegistry, type Gateway } from '@iotgw/app';
import { subdeviceId, subdeviceKey, type Logger } from '@iotgw/domain';
import type { HubEmulator } from '@iotgw/hub-emulator';
import type { DeviceInfo } from '../config/device-info.js';
import { defaultGatewayConfig, parseGatewayConfig, type GatewayConfig } from '../config/gateway-config.js';
import type { SelfUpdateConfig } from '../config/self-update-config.js';
import { toAppConfig } from '../plugins.js';
import { METER, type DemoMeter } from './demo-modbus-meter.js';
import { demoRegistry, type DemoBench } from './demo-subdevices.js';

export const GATEWAY = subdeviceId('GW00000001', 'gw1');
export const SENSOR1 = subdeviceId('SB00000001', 'sensor1');
export const SENSOR2 = subdeviceId('SB00000001', 'sensor2');
export const SECRETS: Readonly<Record<string, string>> = {
  [subdeviceKey(GATEWAY)]: Buffer.from('demo-gateway-secret').toString('base64'),
  [subdeviceKey(SENSOR1)]: Buffer.from('demo-sensor1-secret').toString('base64'),
  [subdeviceKey(SENSOR2)]: Buffer.from('demo-sensor2-secret').toString('base64'),
  [subdeviceKey(METER)]: Buffer.from('demo-meter1-secret').toString('base64'),
};

export interface StartedGateway {
  readonly gateway: Gateway;
  readonly config: GatewayConfig;
  readonly registry: AdapterRegistry;
  readonly info: DeviceInfo;
  readonly env: Readonly<Record<string, string>>;
  /** The meter's link in `config.links`. */
  readonly meterLink: number;
}

/** What the demo's gateway runs with; the same for every start, as a product's installed config is. */
export interface DemoGatewaySetup {
  readonly hub: HubEmulator;
  readonly bench: DemoBench;
  readonly meter: DemoMeter;
  readonly dir: string;
  readonly logger: Logger;
  /** The `selfUpdate` section: the installer commands and the version this start runs. */
  readonly selfUpdate: SelfUpdateConfig;
  readonly timeoutMs: number;
}

/**
 * Assembles and starts the demo's gateway as `iotgw start` would from its files. `hubPort`
 * replaces the emulator's port (the self-update steps' broken build). A start cut short because
 * the gateway asked to be restarted (a self-update rolled back) returns the gateway anyway, as
 * `iotgw start` exits for its supervisor then.
 */
export async function startGateway(s: DemoGatewaySetup, options: { signal: AbortSignal; hubPort?: number }): Promise<StartedGateway> {
  const mqtt = new URL(s.hub.urls.mqtt);
  const info: DeviceInfo = {
    gateway: GATEWAY,
    auth: { mode: 'key', deviceSecret: SECRETS[subdeviceKey(GATEWAY)] ?? '' },
    region: 'china',
    subdevices: [SENSOR1, SENSOR2, METER],
  };
  const env: Record<string, string> = {};
  const secrets: GatewayConfig['secrets'] = {};
  for (const d of [SENSOR1, SENSOR2, METER]) {
    const name = `IOTGW_DEMO_SECRET_${d.deviceName.toUpperCase()}`;
    env[name] = SECRETS[subdeviceKey(d)] ?? '';
    secrets[subdeviceKey(d)] = { env: name };
  }
  const base = defaultGatewayConfig();
  const written: GatewayConfig = {
    ...base,
    hub: { ...base.hub, adapter: 'mqtt', host: mqtt.hostname, port: options.hubPort ?? Number(mqtt.port), tls: false, operationTimeoutMs: s.timeoutMs },
    links: [...s.bench.links, s.meter.link],
    secrets,
    dataDir: join(s.dir, 'gateway-data'),
    logLevel: 'warn',
    // The emulator serves firmware from this machine: allowed here, refused by default.
    ota: { ...base.ota, allowLoopback: true },
    // The console pushes configuration (a step below); no log upload here.
    deviceServices: { ...base.deviceServices, logUpload: { ...base.deviceServices.logUpload, enabled: false } },
    selfUpdate: s.selfUpdate,
  };
  const registry = demoRegistry(s.bench);
  // As from a file: parsed, defaults filled in (what a pushed config is compared with).
  const config = parseGatewayConfig(JSON.stringify(written), 'the demo config', registry);
  // Relative paths in the config (the meter's model file) start at the demo's directory.
  const { config: app, overrides } = await toAppConfig(info, config, { env, logger: s.logger, baseDir: s.dir, registry });
  const gateway = await assembleGateway({ ...app, ota: { ...app.ota, progressIntervalMs: 200 } }, registry, overrides);
  // As `iotgw start` does: a restart asked for during the start (a version on probation rolled back) ends the start.
  const restart = new AbortController();
  void gateway.selfUpdate?.restartRequested.then(() => restart.abort()); // never rejects
  try {
    await gateway.start({ signal: AbortSignal.any([options.signal, restart.signal]), timeoutMs: s.timeoutMs });
  } catch (error) {
    if (!restart.signal.aborted || options.signal.aborted) {
      await gateway.dispose({ timeoutMs: 5_000 }).catch(() => {});
      throw error;
    }
  }
  return { gateway, config, registry, info, env, meterLink: s.bench.links.length };
}
