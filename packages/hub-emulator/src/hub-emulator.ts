import { createServer, type Server } from 'node:http';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isValidFirmwareVersion, silentLogger, type Logger } from '@iotgw/domain';
import { DeviceRegistry, deviceKey } from './device-registry.js';
import { EmbeddedBroker, type AclDenial, type OversizePacket } from './embedded-broker.js';
import { BoundedLog } from './bounded-log.js';
import { FirmwareCatalog, type FirmwareImage } from './firmware-catalog.js';
import type { FirmwareFaults } from './firmware-faults.js';
import { FirmwareHttpHandler } from './firmware-http-server.js';
import { HubCore } from './hub-core.js';
import type { HubBus } from './hub-bus.js';
import { ExternalBrokerBus } from './external-broker-bus.js';
import { AdminApi } from './admin-api.js';
import { HubEmulatorStartError, RegistryError } from './hub-emulator.errors.js';
import { createSelfSignedCertificate, type TlsCredentials } from './self-signed-certificate.js';
import { listen } from './listen.js';

export interface HubEmulatorOptions {
  /** MQTT port of the embedded broker; 0 picks a free port. Default 1883. */
  mqttPort?: number;
  /** HTTP port (firmware, admin API, console); 0 picks a free port. Default 8080. */
  httpPort?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Registry JSON file: loaded at start, rewritten atomically on every change. In memory when omitted. */
  registryPath?: string;
  /** Also offer MQTT over TLS on this port (0 = free port) with a self-signed certificate made at start. */
  tlsPort?: number;
  /** Also offer MQTT over websocket on this port (0 = free port), at `ws://host:port/mqtt`. */
  wsPort?: number;
  /** `mqtt://host:port`: run the hub logic as a client of this broker instead of embedding one. */
  brokerUrl?: string;
  logger?: Logger;
  /** Allowed distance of a bind timestamp from now, seconds. Default 600. */
  bindTimestampWindowSec?: number;
  /** Largest MQTT packet a device may send (bytes after the fixed header); bigger closes its connection. Default 1 MiB. */
  maxPacketBytes?: number;
  /** How many of each kind of refusal (auth, ACL, malformed, oversize) are kept; all are counted. Default 1000. */
  refusalHistory?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface HubEmulatorUrls {
  mqtt: string;
  /** `mqtts://…` when `tlsPort` was given. */
  mqtts?: string;
  /** `ws://…/mqtt` when `wsPort` was given. */
  ws?: string;
  http: string;
  console: string;
}

/** Counts since start (the lists keep only the newest `refusalHistory` of each). */
export interface HubEmulatorStats {
  aclDenials: number;
  authFailures: number;
  protocolErrors: number;
  oversizePackets: number;
}

/**
 * A local stand-in for Tencent Cloud IoT Hub: broker with key auth and topic ACL, registry,
 * gateway operations, OTA pushes, firmware HTTP server with fault knobs, admin API and console.
 */
export interface AuthFailure {
  at: number;
  clientId: string;
  reason: string;
}

/** One refusal as the console lists it. */
export interface HubRefusal {
  at: number;
  kind: 'auth' | 'acl' | 'malformed' | 'oversize';
  /** `PID/name`, or the client id / address that tried. */
  device: string;
  topic?: string;
  reason: string;
}

/** Every kind of refusal the hub keeps, newest `refusalHistory` of each with total counts. */
interface RefusalLogs {
  denials: BoundedLog<AclDenial>;
  authFailures: BoundedLog<AuthFailure>;
  oversize: BoundedLog<OversizePacket>;
}

export class HubEmulator {
  private constructor(
    private readonly refusalLogs: RefusalLogs,
    readonly registry: DeviceRegistry,
    readonly catalog: FirmwareCatalog,
    readonly core: HubCore,
    readonly firmwareHttp: FirmwareHttpHandler,
    readonly urls: HubEmulatorUrls,
    private readonly bus: HubBus,
    private readonly http: Server,
  ) {
    this.api = new AdminApi(this);
  }

  private readonly api: AdminApi;
  /** PEM certificate of the TLS listener (trust it as `ca` in clients); undefined without TLS. */
  tlsCertificate: string | undefined;

  static async start(options: HubEmulatorOptions = {}): Promise<HubEmulator> {
    const host = options.host ?? '127.0.0.1';
    const logger = options.logger ?? silentLogger;
    const registry = await DeviceRegistry.open(options.registryPath);
    const catalog = new FirmwareCatalog();
    const firmwareHttp = new FirmwareHttpHandler(catalog);
    const history = options.refusalHistory ?? 1000;
    const logs: RefusalLogs = { denials: new BoundedLog(history), authFailures: new BoundedLog(history), oversize: new BoundedLog(history) };

    const http = createServer();
    try {
      await listen(http, options.httpPort ?? 8080, host);
    } catch (error) {
      throw new HubEmulatorStartError(`HTTP port ${options.httpPort ?? 8080} on ${host} is not available: ${(error as Error).message}`, { cause: error });
    }
    const httpBase = `http://${urlHost(host)}:${portOf(http)}`;

    let bus: HubBus;
    let mqttUrl: string;
    let mqttsUrl: string | undefined;
    let wsUrl: string | undefined;
    let tls: TlsCredentials | undefined;
    // The broker's disconnect hook needs the core, which needs the broker: late-bound.
    const late: { core?: HubCore } = {};
    try {
      if (options.brokerUrl) {
        bus = await ExternalBrokerBus.connect({ url: options.brokerUrl, logger, ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs ?? 10_000 });
        mqttUrl = options.brokerUrl;
      } else {
        if (options.tlsPort !== undefined) tls = await createSelfSignedCertificate(host);
        const broker = await EmbeddedBroker.start({
          ...(tls && options.tlsPort !== undefined ? { tls: { port: options.tlsPort, credentials: tls } } : {}),
          ...(options.wsPort !== undefined ? { ws: { port: options.wsPort } } : {}),
          port: options.mqttPort ?? 1883,
          host,
          registry,
          logger,
          ...(options.maxPacketBytes !== undefined ? { maxPacketBytes: options.maxPacketBytes } : {}),
          events: {
            onDeviceConnected: (device) => registry.setOnline(device, true),
            onDeviceDisconnected: (device) => late.core?.gatewayDisconnected(device),
            onDenied: (denial) => {
              logs.denials.push(denial);
              logger.warn('ACL denied', { device: denial.device, action: denial.action, topic: denial.topic, reason: denial.reason });
            },
            onAuthFailed: (clientId, reason) => {
              logs.authFailures.push({ at: Date.now(), clientId, reason });
              logger.warn('MQTT auth refused', { clientId, reason });
            },
            onOversize: (packet) => {
              logs.oversize.push(packet);
              logger.warn('MQTT packet over the size limit: connection closed', { device: packet.device, bytes: packet.bytes, limit: packet.limit });
            },
          },
        });
        bus = broker;
        mqttUrl = `mqtt://${urlHost(host)}:${broker.port}`;
        if (broker.tlsPort !== undefined) mqttsUrl = `mqtts://${urlHost(host)}:${broker.tlsPort}`;
        if (broker.wsPort !== undefined) wsUrl = `ws://${urlHost(host)}:${broker.wsPort}/mqtt`;
      }
    } catch (error) {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      if (error instanceof HubEmulatorStartError) throw error;
      throw new HubEmulatorStartError(`MQTT broker could not start: ${(error as Error).message}`, { cause: error });
    }

    const core = new HubCore({
      registry,
      catalog,
      bus,
      logger,
      refusalHistory: history,
      firmwareUrl: (firmwareId, ttlSec) => `${httpBase}${firmwareHttp.pathFor(firmwareId, ttlSec)}`,
      ...(options.bindTimestampWindowSec !== undefined ? { bindTimestampWindowSec: options.bindTimestampWindowSec } : {}),
    });
    late.core = core;
    const urls: HubEmulatorUrls = { mqtt: mqttUrl, http: httpBase, console: `${httpBase}/`, ...(mqttsUrl ? { mqtts: mqttsUrl } : {}), ...(wsUrl ? { ws: wsUrl } : {}) };
    const emulator = new HubEmulator(logs, registry, catalog, core, firmwareHttp, urls, bus, http);
    emulator.tlsCertificate = tls?.cert;
    http.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', httpBase);
      if (firmwareHttp.handle(req, res, url)) return;
      emulator.api.handle(req, res, url);
    });
    return emulator;
  }

  /** The newest refused publishes/subscribes, oldest first (`stats.aclDenials` counts them all). */
  get denials(): readonly AclDenial[] {
    return this.refusalLogs.denials.items;
  }

  /** The newest refused CONNECTs, oldest first (`stats.authFailures` counts them all). */
  get authFailures(): readonly AuthFailure[] {
    return this.refusalLogs.authFailures.items;
  }

  /** The newest connections closed for a packet over `maxPacketBytes`, oldest first. */
  get oversizePackets(): readonly OversizePacket[] {
    return this.refusalLogs.oversize.items;
  }

  /** Every kept refusal of every kind, oldest first, each with what was refused and why. */
  refusals(): HubRefusal[] {
    const all: HubRefusal[] = [
      ...this.denials.map((d): HubRefusal => ({ at: d.at, kind: 'acl', device: d.device, topic: d.topic, reason: `${d.action} denied: ${d.reason}` })),
      ...this.authFailures.map((f): HubRefusal => ({ at: f.at, kind: 'auth', device: f.clientId, reason: f.reason })),
      ...this.core.malformed.items.map((m): HubRefusal => ({ at: m.at, kind: 'malformed', device: deviceOfTopic(m.topic), topic: m.topic, reason: m.reason })),
      ...this.oversizePackets.map((o): HubRefusal => ({ at: o.at, kind: 'oversize', device: o.device, reason: `packet of ${o.bytes} bytes over the ${o.limit}-byte limit: connection closed` })),
    ];
    return all.sort((a, b) => a.at - b.at);
  }

  get stats(): HubEmulatorStats {
    return {
      aclDenials: this.refusalLogs.denials.total,
      authFailures: this.refusalLogs.authFailures.total,
      protocolErrors: this.core.protocolErrors,
      oversizePackets: this.refusalLogs.oversize.total,
    };
  }

  /** Fault knobs of the firmware server; replace or edit to inject failures. */
  get firmwareFaults(): FirmwareFaults {
    return this.firmwareHttp.faults;
  }

  set firmwareFaults(faults: FirmwareFaults) {
    this.firmwareHttp.faults = { ...faults };
  }

  /** Registers a firmware file (md5 and size computed) and returns its catalog entry. */
  async registerFirmware(options: { path: string; version: string }): Promise<FirmwareImage> {
    return this.catalog.register(options);
  }

  /**
   * Stores an uploaded image (a stream or bytes) in the emulator's temp dir and registers it.
   * The dir is removed on close.
   */
  async uploadFirmware(options: { version: string; data: AsyncIterable<Uint8Array | string> | Uint8Array }): Promise<FirmwareImage> {
    if (!isValidFirmwareVersion(options.version)) {
      throw new RegistryError(`firmware version ${JSON.stringify(options.version)} is not valid: use 1 to 32 characters`);
    }
    this.uploadDir ??= await mkdtemp(join(tmpdir(), 'iotgw-hub-fw-'));
    this.uploads += 1;
    const path = join(this.uploadDir, `upload-${this.uploads}.bin`);
    const data = options.data;
    await pipeline(data instanceof Uint8Array ? Readable.from([data]) : Readable.from(data), createWriteStream(path));
    return this.catalog.register({ path, version: options.version });
  }

  private uploadDir: string | undefined;
  private uploads = 0;

  isOnline(productId: string, deviceName: string): boolean {
    return this.registry.isOnline(deviceKey(productId, deviceName));
  }

  async close(): Promise<void> {
    this.api.closeStreams();
    this.http.closeAllConnections();
    await Promise.all([this.bus.close(), new Promise<void>((resolve) => this.http.close(() => resolve()))]);
    await this.registry.flush();
    if (this.uploadDir) await rm(this.uploadDir, { recursive: true, force: true });
  }
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `$ota/report/PID/name` or `$gateway/operation/PID/name` → `PID/name` (the device the hub blames). */
function deviceOfTopic(topic: string): string {
  const parts = topic.split('/');
  return parts.length >= 2 ? parts.slice(-2).join('/') : topic;
}
