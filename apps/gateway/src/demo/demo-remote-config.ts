import { FileStateStore, LogCapture, type AdapterRegistry, type Gateway } from '@iotgw/app';
import { subdeviceKey, type LogLevel } from '@iotgw/domain';
import type { DeviceInfo } from '../config/device-info.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { startDeviceServices } from '../device-services/gateway-device-services.js';
import type { RuntimeLogger } from '../device-services/remote-config-applier.js';
import { readRemoteConfig } from '../device-services/remote-config-store.js';
import type { DemoFlowContext } from './demo-flow-context.js';
import { jsonObject } from '../json-object.js';
import { waitFor } from './wait-for.js';

export interface DemoDeviceServices {
  /** Restarts the gateway asked for (a pushed change that needs one): the demo pushes none. */
  readonly restarts: readonly string[];
  stop(): Promise<void>;
}

/** The gateway's own services at the hub, as `iotgw start` runs them: here, remote configuration. */
export function startDemoDeviceServices(o: {
  readonly gateway: Gateway;
  readonly config: GatewayConfig;
  readonly registry: AdapterRegistry;
  readonly info: DeviceInfo;
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logger: RuntimeLogger;
}): DemoDeviceServices {
  const restarts: string[] = [];
  const services = startDeviceServices({
    gateway: o.gateway,
    config: o.config,
    registry: o.registry,
    info: o.info,
    deviceInfoFile: 'the demo device info',
    baseDir: o.dir,
    env: o.env,
    dataDir: o.config.dataDir,
    logger: o.logger,
    capture: new LogCapture(),
    remote: undefined,
    restart: (reason) => restarts.push(reason),
  });
  return { restarts, stop: () => services.stop() };
}

interface ConfigResult {
  readonly result: number;
  readonly message: string;
}

/** The document the hub pushes: the gateway's config file as JSON, with `change` made. */
function documentOf(config: GatewayConfig, change: Partial<Record<keyof GatewayConfig, unknown>>): Record<string, unknown> {
  return { ...(JSON.parse(JSON.stringify(config)) as Record<string, unknown>), ...change };
}

/** Pushes `document` from the emulator's console side and waits for the gateway's `config_result` event. */
async function push(c: DemoFlowContext, document: Record<string, unknown>): Promise<ConfigResult> {
  const topic = `${c.gatewayId.productId}/${c.gatewayId.deviceName}/event`;
  const from = c.up.length;
  await c.hub().core.services.pushConfig(subdeviceKey(c.gatewayId), document);
  let outcome: ConfigResult | undefined;
  await waitFor(
    "the gateway's config_result at the hub",
    () => {
      for (const m of c.up.slice(from)) {
        const event = m.topic === topic ? jsonObject(m.payload) : undefined;
        if (event?.type === 'config_result' && typeof event.result === 'number' && typeof event.message === 'string') outcome = { result: event.result, message: event.message };
      }
      return outcome !== undefined;
    },
    { timeoutMs: c.timeoutMs, signal: c.signal },
  );
  return outcome as ConfigResult;
}

export interface RemoteConfigDemo {
  readonly config: GatewayConfig;
  readonly logger: { readonly level: LogLevel };
  readonly services: DemoDeviceServices;
}

/** A pushed log level is validated, applied at once (no restart, no reconnect) and kept in the data dir. */
export async function pushLogLevel(c: DemoFlowContext, d: RemoteConfigDemo, level: LogLevel): Promise<string> {
  const before = d.logger.level;
  const outcome = await push(c, documentOf(d.config, { logLevel: level }));
  if (outcome.result !== 0) throw new Error(`the gateway refused it: ${outcome.message}`);
  if (d.logger.level !== level) throw new Error(`the gateway's log level is ${d.logger.level}, not ${level}`);
  const stored = await readRemoteConfig(FileStateStore.inDataDir(d.config.dataDir));
  if (stored?.config.logLevel !== level || !stored.confirmed) throw new Error(`the data dir holds ${JSON.stringify(stored?.config.logLevel)}, not the pushed config`);
  if (d.services.restarts.length > 0) throw new Error(`the gateway asked for a restart: ${d.services.restarts.join('; ')}`);
  if (c.gateway().hub.state !== 'connected') throw new Error(`the hub connection is ${c.gateway().hub.state}`);
  return `log level ${before} → ${level} applied live (no restart, still connected), saved in the data dir; gateway reported "${outcome.message}"`;
}

/**
 * A pushed config the gateway's own checks refuse (the meter's model file does not exist): nothing
 * applied, the running config and the saved one unchanged, the reason reported to the hub.
 */
export async function pushBadModelPath(c: DemoFlowContext, d: RemoteConfigDemo, meterLink: number): Promise<string> {
  const level = d.logger.level;
  const links = JSON.parse(JSON.stringify(d.config.links)) as Array<Record<string, unknown>>;
  const link = links[meterLink];
  const units = link?.units as Array<Record<string, unknown>> | undefined;
  const unit = units?.[0];
  if (!unit) throw new Error(`links[${meterLink}] is not the meter's modbus link`);
  unit.model = './models/no-such-meter.json';
  const outcome = await push(c, documentOf(d.config, { links, logLevel: level === 'debug' ? 'info' : 'debug' }));
  if (outcome.result === 0) throw new Error(`the gateway applied it: ${outcome.message}`);
  if (!/no-such-meter\.json/.test(outcome.message) || !outcome.message.includes(`links.${meterLink}.units.0.model`)) throw new Error(`the refusal does not name the model file: ${outcome.message}`);
  if (d.logger.level !== level) throw new Error(`the log level changed to ${d.logger.level}: part of a refused config was applied`);
  const stored = await readRemoteConfig(FileStateStore.inDataDir(d.config.dataDir));
  if (stored?.config.logLevel !== level) throw new Error('the refused config replaced the saved one');
  // The message names the file by its absolute path in the demo's temporary directory: shortened here.
  const reason = outcome.message.replace(/model \S*\/(models\/no-such-meter\.json)/, 'model …/$1').replace(/ *\(no such file\).*$/, ' (no such file)');
  return `refused, nothing applied (log level still ${level}); gateway reported "${reason}"`;
}
