import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { subdeviceId, type Logger } from '@iotgw/domain';
import { HubEmulator } from '@iotgw/hub-emulator';
import { serialBench, type DemoBench } from '../../src/demo/demo-subdevices.js';
import { findSocat } from '../../src/demo/socat-pair.js';
import { waitFor } from '../../src/demo/wait-for.js';

const bin = fileURLToPath(new URL('../../src/bin/iotgw.js', import.meta.url));

/** An `iotgw start` child process and what it printed. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** The control endpoint's base URL, once the gateway said it runs. */
  readonly control: string;
}

/**
 * Writes `device_info.json` and `iotgw.json` into `dir` and runs `iotgw start` on them until it
 * says it runs. The child is SIGKILLed at teardown if still alive.
 */
export async function startGatewayProcess(
  t: ExecutionContext,
  dir: string,
  deviceInfo: unknown,
  config: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  await writeFile(join(dir, 'device_info.json'), JSON.stringify(deviceInfo));
  await writeFile(join(dir, 'iotgw.json'), JSON.stringify({ control: { port: 0 }, ...config }));
  const child = spawn(process.execPath, [bin, 'start', '--device-info', join(dir, 'device_info.json'), '--config', join(dir, 'iotgw.json')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the gateway to say it runs', () => / running with \d+ link\(s\)/.test(out) || child.exitCode !== null, { timeoutMs: 30_000 });
  if (child.exitCode !== null) throw new Error(`iotgw start exited ${child.exitCode}:\n${out}`);
  const control = /control, health and metrics: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
  return { child, output: () => out, exited, control };
}

const GW_SECRET = Buffer.from('process-gateway-secret').toString('base64');
export const PROCESS_SENSOR1_SECRET = Buffer.from('process-sensor1-secret').toString('base64');
export const PROCESS_SENSOR1 = subdeviceId('SB00000001', 'sensor1');

/** The emulator, sensor1 simulated on a socat pty, and a way to run `iotgw start` against them. */
export interface ProcessRig {
  readonly dir: string;
  readonly hub: HubEmulator;
  readonly bench: DemoBench;
  /** The iotgw config the gateway starts on (the document a test pushes, changed). */
  readonly config: Record<string, unknown>;
  start(): Promise<GatewayProcess>;
}

export interface ProcessRigOptions {
  /** Run the emulator and the gateway on this external broker (mosquitto). */
  readonly broker?: string;
  /** The config's `ota` section; default: loopback allowed (the emulator's firmware server is here). */
  readonly ota?: Record<string, unknown>;
  /** The emulator's logger (a test counts the gateway's connections in it). */
  readonly hubLogger?: Logger;
  /** Config fields to set or replace (e.g. `links: []`, `deviceServices`). */
  readonly config?: Record<string, unknown>;
}

/** Undefined when socat is missing (a failure under CI). */
export async function processRig(t: ExecutionContext, options: ProcessRigOptions = {}): Promise<ProcessRig | undefined> {
  const socat = findSocat();
  if (!socat) {
    if (process.env.CI === 'true') t.fail('socat is required under CI');
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'iotgw-process-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const registryPath = join(dir, 'registry.json');
  await writeFile(
    registryPath,
    JSON.stringify({
      devices: [
        { productId: 'GW00000001', deviceName: 'gw1', deviceSecret: GW_SECRET, gateway: true },
        { productId: 'SB00000001', deviceName: 'sensor1', deviceSecret: PROCESS_SENSOR1_SECRET },
      ],
      bindings: [{ gateway: 'GW00000001/gw1', subdevice: 'SB00000001/sensor1' }],
    }),
  );
  const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath, ...(options.broker ? { brokerUrl: options.broker } : {}), ...(options.hubLogger ? { logger: options.hubLogger } : {}) });
  t.teardown(() => hub.close());
  const bench = await serialBench(socat, dir, [PROCESS_SENSOR1], '1.0.0');
  t.teardown(() => bench.close());
  const mqtt = new URL(hub.urls.mqtt);
  const deviceInfo = {
    auth_mode: 'KEY',
    productId: 'GW00000001',
    deviceName: 'gw1',
    key_deviceinfo: { deviceSecret: GW_SECRET },
    subDev: { subdev_list: [{ sub_productId: 'SB00000001', sub_devName: 'sensor1' }] },
  };
  const config = {
    hub: { host: mqtt.hostname, port: Number(mqtt.port), tls: false },
    links: bench.links,
    dataDir: join(dir, 'data'),
    logLevel: 'info',
    ota: options.ota ?? { allowLoopback: true },
    ...options.config,
  };
  return { dir, hub, bench, config, start: () => startGatewayProcess(t, dir, deviceInfo, config) };
}
