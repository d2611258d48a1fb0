import type { ExecutionContext } from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleGateway, type Gateway } from '@iotgw/app';
import { subdeviceId, subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { HubEmulator, type Binding } from '@iotgw/hub-emulator';
import { CapturingLogger } from '@iotgw/testkit';
import type { DeviceInfo } from '../../src/config/device-info.js';
import { defaultGatewayConfig, type GatewayConfig } from '../../src/config/gateway-config.js';
import { memoryBench, serialBench, type DemoBench } from '../../src/demo/demo-subdevices.js';
import { findSocat } from '../../src/demo/socat-pair.js';
import { toAppConfig } from '../../src/plugins.js';
import { demoRegistry } from '../../src/demo/demo-subdevices.js';

export const GATEWAY = subdeviceId('GW00000001', 'gw1');
export const SENSOR1 = subdeviceId('SB00000001', 'sensor1');
export const SENSOR2 = subdeviceId('SB00000001', 'sensor2');
export const secretOf = (d: SubdeviceId): string => Buffer.from(`rig-${d.deviceName}-secret`).toString('base64');

export interface Rig {
  readonly dir: string;
  readonly registryPath: string;
  readonly hub: HubEmulator;
  readonly bench: DemoBench;
  /** Assembles and starts a gateway on the rig's data dir (again after a dispose: a restart). */
  startGateway(start?: { readonly timeoutMs?: number }): Promise<Gateway>;
}

export interface RigOptions {
  readonly memory?: boolean;
  /** Run the emulator and gateway on this external broker. */
  readonly broker?: string;
  readonly bindings?: readonly SubdeviceId[];
  /** Secrets the gateway holds, when they should differ from the hub's. */
  readonly gatewaySecrets?: Partial<Record<string, string>>;
  /** OTA settings of the gateway's config (default: loopback allowed, for the emulator's firmware server). */
  readonly ota?: Partial<GatewayConfig['ota']>;
  /** The gateway's per-product channels (config `channels`). */
  readonly channels?: GatewayConfig['channels'];
  /** Custom topics of products in the hub's topic lists. */
  readonly productTopics?: Record<string, string[]>;
}

/** The emulator, two simulated subdevices and a way to start gateways, all cleaned up by teardown. */
export async function startRig(t: ExecutionContext, options: RigOptions = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-rig-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  const bindings: Binding[] = (options.bindings ?? []).map((s) => ({ gateway: subdeviceKey(GATEWAY), subdevice: subdeviceKey(s) }));
  await writeFile(
    registryPath,
    JSON.stringify({
      devices: [GATEWAY, SENSOR1, SENSOR2].map((d, i) => ({ ...d, deviceSecret: secretOf(d), ...(i === 0 ? { gateway: true } : {}) })),
      bindings,
      ...(options.productTopics ? { productTopics: options.productTopics } : {}),
    }),
  );
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath, ...(options.broker ? { brokerUrl: options.broker } : {}) });
  const socat = options.memory ? undefined : findSocat();
  if (!options.memory && !socat && process.env.CI === 'true') t.fail('socat is required under CI');
  const bench = socat ? await serialBench(socat, dir, [SENSOR1, SENSOR2], '1.0.0') : memoryBench([SENSOR1, SENSOR2], '1.0.0');
  const gateways: Gateway[] = [];
  // Registered after the temp dir, so they run first (ava runs teardowns in reverse).
  t.teardown(async () => {
    for (const g of gateways) await g.dispose({ timeoutMs: 10_000 }).catch(() => {});
    await bench.close();
    await hub.close();
  });
  const mqtt = new URL(hub.urls.mqtt);
  const env: Record<string, string> = {};
  const secrets: GatewayConfig['secrets'] = {};
  for (const s of [SENSOR1, SENSOR2]) {
    const name = `RIG_SECRET_${s.deviceName.toUpperCase()}`;
    env[name] = options.gatewaySecrets?.[subdeviceKey(s)] ?? secretOf(s);
    secrets[subdeviceKey(s)] = { env: name };
  }
  const base = defaultGatewayConfig();
  const config: GatewayConfig = {
    ...base,
    hub: { ...base.hub, host: mqtt.hostname, port: Number(mqtt.port), tls: false },
    links: bench.links,
    secrets,
    dataDir: join(dir, 'gateway-data'),
    // The emulator serves firmware from this machine: allowed explicitly, as the demo does.
    ota: { ...base.ota, allowLoopback: true, ...options.ota },
    ...(options.channels ? { channels: options.channels } : {}),
  };
  const info: DeviceInfo = { gateway: GATEWAY, auth: { mode: 'key', deviceSecret: secretOf(GATEWAY) }, region: 'china', subdevices: [SENSOR1, SENSOR2] };
  return {
    dir,
    registryPath,
    hub,
    bench,
    startGateway: async (start = {}) => {
      const { config: app, overrides } = await toAppConfig(info, config, { env, logger: new CapturingLogger() });
      const gateway = await assembleGateway({ ...app, ota: { ...app.ota, progressIntervalMs: 100 } }, demoRegistry(bench), overrides);
      gateways.push(gateway);
      await gateway.start({ timeoutMs: start.timeoutMs ?? 15_000 });
      return gateway;
    },
  };
}
