import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { parseGatewayConfig } from '@iotgw/gateway';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayHandle } from './gateway-handle.js';
import { HubHandle } from './hub-handle.js';
import { account, flowWindow, readAcks, readReceipts, total, type Accounting, type FlowWindow } from './ledger.js';
import { sleep, until } from './processes.js';
import { SocatLink } from './socat-link.js';
import { SubdeviceHandle } from './subdevice-handle.js';
import { TcpProxy } from './tcp-proxy.js';

export const GATEWAY_KEY = 'GW00000001/gw1';
export const SUBDEVICE_PRODUCT = 'SB00000001';
const secretOf = (name: string): string => Buffer.from(`chaos-${name}-secret`).toString('base64');

/**
 * The emulator serves firmware on 127.0.0.1; a gateway that refuses loopback firmware URLs unless
 * told (issue 11 item 4) is told, if its config knows the setting.
 */
function loopbackFirmwareAllowed(): Record<string, unknown> {
  try {
    parseGatewayConfig('{"ota":{"allowLoopback":true}}');
    return { ota: { allowLoopback: true } };
  } catch {
    return {};
  }
}

export interface RigSubdevice {
  readonly deviceName: string;
  /** Readings per second; default 10 (the probe). */
  readonly ratePerSec?: number;
  readonly version?: string;
  /** How long applying firmware takes in the simulator. Default 300 ms. */
  readonly applyMs?: number;
  /** Reboot into the new version this long after applying. Default 300 ms. */
  readonly rebootAfterApplyMs?: number;
  /**
   * Readings unacknowledged on the link at once. Default 1 (stop-and-wait, what a subdevice with
   * little RAM does); the link protocol allows up to 64 and iotgw's own engines keep 32. Not the
   * default: with several in flight, a reading the gateway refuses (a full disk) while it takes
   * the next one is sent again after it, which is the subdevice reordering, not the gateway.
   */
  readonly dataWindow?: number;
}

export interface RigOptions {
  readonly socat: string;
  /** Default: sensor1 and sensor2 at 10 readings/s each. */
  readonly subdevices?: readonly RigSubdevice[];
  /** The gateway's dataDir; default `<rig dir>/gateway-data`. Point it at a tiny tmpfs to fill the disk. */
  readonly dataDir?: string;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra fields merged into the iotgw config (e.g. `ota` settings). */
  readonly gatewayConfig?: Record<string, unknown>;
  /**
   * `mqtt://host:port` of a broker of our own (mosquitto) to run the hub on instead of the
   * emulator's embedded one: anyone may publish anything there (the hostile hub).
   */
  readonly brokerUrl?: string;
  /** Keep the rig's directory (logs, received and acked files) after close. */
  readonly keepDir?: boolean;
}

/**
 * The whole rig, every part in its own process: the hub emulator (+ the counter of every reading
 * it receives), a TCP proxy in front of it, `iotgw start` with a real config, and simulated
 * subdevices on socat ptys producing tagged readings.
 *
 * ```
 *  subdevice ── pty ═ socat ═ pty ── iotgw start ── TCP proxy ── hub emulator ── received file
 *  (acked file)                       (log file)    (partition,    (registry)
 *                                                    cut)
 * ```
 */
export class Rig {
  static readonly #active = new Set<Rig>();

  /** Closes every rig still running (the runner's Ctrl-C). */
  static async closeAll(): Promise<void> {
    await Promise.all([...Rig.#active].map((rig) => rig.close()));
  }

  private constructor(
    readonly dir: string,
    readonly hub: HubHandle,
    readonly proxy: TcpProxy,
    readonly gateway: GatewayHandle,
    readonly subdevices: readonly SubdeviceHandle[],
    readonly dataDir: string,
    private readonly receivedFile: string,
    private readonly keepDir: boolean,
  ) {}

  static async start(options: RigOptions): Promise<Rig> {
    const dir = await mkdtemp(join(tmpdir(), 'iotgw-chaos-'));
    const subs = options.subdevices ?? [{ deviceName: 'sensor1' }, { deviceName: 'sensor2' }];
    const registryPath = join(dir, 'registry.json');
    const receivedFile = join(dir, 'hub-received.jsonl');
    await writeFile(
      registryPath,
      JSON.stringify({
        devices: [
          { productId: 'GW00000001', deviceName: 'gw1', deviceSecret: secretOf('gw1'), gateway: true },
          ...subs.map((s) => ({ productId: SUBDEVICE_PRODUCT, deviceName: s.deviceName, deviceSecret: secretOf(s.deviceName) })),
        ],
        bindings: subs.map((s) => ({ gateway: GATEWAY_KEY, subdevice: `${SUBDEVICE_PRODUCT}/${s.deviceName}` })),
      }),
    );
    const hub = new HubHandle({ registryPath, receivedFile, ...(options.brokerUrl ? { brokerUrl: options.brokerUrl } : {}) });
    const proxy = new TcpProxy(() => ({ host: hub.mqttHost, port: hub.mqttPort }));
    const subdevices = subs.map(
      (s) =>
        new SubdeviceHandle(`${SUBDEVICE_PRODUCT}/${s.deviceName}`, new SocatLink(options.socat, dir, s.deviceName), {
          productId: SUBDEVICE_PRODUCT,
          deviceName: s.deviceName,
          version: s.version ?? '1.0.0',
          ratePerSec: s.ratePerSec ?? 10,
          ackedFile: join(dir, `${s.deviceName}-acked.txt`),
          applyMs: s.applyMs ?? 300,
          rebootAfterApplyMs: s.rebootAfterApplyMs ?? 300,
          ...(s.dataWindow !== undefined ? { dataWindow: s.dataWindow } : {}),
        }),
    );
    const dataDir = options.dataDir ?? join(dir, 'gateway-data');
    await mkdir(dataDir, { recursive: true });
    const env: Record<string, string> = {};
    const secrets: Record<string, { env: string }> = {};
    for (const s of subs) {
      const name = `CHAOS_SECRET_${s.deviceName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
      env[name] = secretOf(s.deviceName);
      secrets[`${SUBDEVICE_PRODUCT}/${s.deviceName}`] = { env: name };
    }
    const deviceInfoPath = join(dir, 'device_info.json');
    const configPath = join(dir, 'iotgw.json');
    const gateway = new GatewayHandle({ deviceInfoPath, configPath, env, logFile: join(dir, 'gateway.log') });
    const rig = new Rig(dir, hub, proxy, gateway, subdevices, dataDir, receivedFile, options.keepDir ?? false);
    Rig.#active.add(rig);
    try {
      await hub.start();
      await proxy.start();
      await writeFile(
        deviceInfoPath,
        JSON.stringify({
          auth_mode: 'KEY',
          productId: 'GW00000001',
          deviceName: 'gw1',
          key_deviceinfo: { deviceSecret: secretOf('gw1') },
          subDev: { subdev_num: subs.length, subdev_list: subs.map((s) => ({ sub_productId: SUBDEVICE_PRODUCT, sub_devName: s.deviceName })) },
        }),
      );
      await writeFile(
        configPath,
        JSON.stringify({
          hub: { host: '127.0.0.1', port: proxy.port, tls: false },
          links: subdevices.map((s) => ({ adapter: 'serial', name: `serial:${s.deviceName}`, path: s.link.gatewaySide, baudRate: 115200, subdevices: [s.key] })),
          secrets,
          dataDir,
          logLevel: options.logLevel ?? 'info',
          control: { port: 0 },
          ...loopbackFirmwareAllowed(),
          ...options.gatewayConfig,
        }),
      );
      for (const s of subdevices) await s.link.start();
      await gateway.start();
      for (const s of subdevices) s.start();
      await rig.waitOnline();
    } catch (error) {
      await rig.close();
      throw error;
    }
    return rig;
  }

  subdevice(deviceName: string): SubdeviceHandle {
    const s = this.subdevices.find((d) => d.deviceName === deviceName);
    if (!s) throw new Error(`no subdevice ${deviceName} in this rig`);
    return s;
  }

  /** Until every subdevice is online at the hub and the hub has a reading from each since `since`. */
  async waitOnline(timeoutMs = 60_000, since = Date.now()): Promise<void> {
    await until(
      'every subdevice online at the hub with readings arriving',
      async () => {
        if (!this.hub.running) return false;
        const state = await this.hub.state().catch(() => undefined);
        if (!state || !this.subdevices.every((s) => state.online.includes(s.key))) return false;
        const receipts = readReceipts(this.receivedFile);
        return this.subdevices.every((s) => s.ratePerSec === 0 || receipts.some((r) => r.sub === s.deviceName && r.at >= since));
      },
      timeoutMs,
      200,
    );
  }

  /**
   * Ends the run: every subdevice stops measuring and hands the gateway what it still holds, then
   * the hub is given up to `drainMs` to receive every reading the gateway acknowledged.
   */
  async settle(drainMs = 60_000): Promise<void> {
    await Promise.all(this.subdevices.filter((s) => s.running).map((s) => s.stopProducing(drainMs).catch(() => undefined)));
    await until('the hub to receive every acknowledged reading', () => this.accounting().lost === 0, drainMs, 250).catch(() => undefined);
  }

  /** The reading ledger per subdevice and in total, with time to recover after `healAt`. */
  accounting(healAt?: number): Accounting & { perSubdevice: Record<string, Accounting> } {
    const receipts = readReceipts(this.receivedFile);
    const perSubdevice: Record<string, Accounting> = {};
    for (const s of this.subdevices) perSubdevice[s.deviceName] = account(readAcks(join(this.dir, `${s.deviceName}-acked.txt`)), receipts, s.deviceName, healAt);
    return { ...total(Object.values(perSubdevice)), perSubdevice };
  }

  /** How each subdevice's readings flowed between `from` and `to`. */
  flowDuring(from: number, to: number): Record<string, FlowWindow> {
    const receipts = readReceipts(this.receivedFile);
    return Object.fromEntries(this.subdevices.map((s) => [s.deviceName, flowWindow(receipts, s.deviceName, from, to)]));
  }

  /** Lets readings flow for `ms`. */
  flow(ms: number): Promise<void> {
    return sleep(ms);
  }

  async close(): Promise<void> {
    Rig.#active.delete(this);
    await this.gateway.close().catch(() => undefined);
    for (const s of this.subdevices) {
      await s.close().catch(() => undefined);
      await s.link.close().catch(() => undefined);
    }
    await this.proxy.close().catch(() => undefined);
    await this.hub.close().catch(() => undefined);
    if (!this.keepDir) await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
