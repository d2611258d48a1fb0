import { createServer, type Server } from 'node:http';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isValidFirmwareVersion, silentLogger, type Logger } from '@iotgw/domain';
import { DeviceRegistry, deviceKey } from './device-registry.js';
import { EmbeddedBroker, type AclDenial } from './embedded-broker.js';
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

export interface HubEmulatorStats {
  aclDenials: number;
  authFailures: number;
  protocolErrors: number;
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

export class HubEmulator {
  private constructor(
    /** Every refused publish/subscribe, oldest first. */
    readonly denials: AclDenial[],
    /** Every refused CONNECT, oldest first. */
    readonly authFailures: AuthFailure[],
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
    const denials: AclDenial[] = [];
    const authFailures: AuthFailure[] = [];

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
          events: {
            onDeviceConnected: (device) => registry.setOnline(device, true),
            onDeviceDisconnected: (device) => late.core?.gatewayDisconnected(device),
            onDenied: (denial) => {
              denials.push(denial);
              logger.warn('ACL denied', { device: denial.device, action: denial.action, topic: denial.topic, reason: denial.reason });
            },
            onAuthFailed: (clientId, reason) => {
              authFailures.push({ at: Date.now(), clientId, reason });
              logger.warn('MQTT auth refused', { clientId, reason });
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
      firmwareUrl: (firmwareId, ttlSec) => `${httpBase}${firmwareHttp.pathFor(firmwareId, ttlSec)}`,
      ...(options.bindTimestampWindowSec !== undefined ? { bindTimestampWindowSec: options.bindTimestampWindowSec } : {}),
    });
    late.core = core;
    const urls: HubEmulatorUrls = { mqtt: mqttUrl, http: httpBase, console: `${httpBase}/`, ...(mqttsUrl ? { mqtts: mqttsUrl } : {}), ...(wsUrl ? { ws: wsUrl } : {}) };
    const emulator = new HubEmulator(denials, authFailures, registry, catalog, core, firmwareHttp, urls, bus, http);
    emulator.tlsCertificate = tls?.cert;
    http.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', httpBase);
      if (firmwareHttp.handle(req, res, url)) return;
      emulator.api.handle(req, res, url);
    });
    return emulator;
  }

  get stats(): HubEmulatorStats {
    return { aclDenials: this.denials.length, authFailures: this.authFailures.length, protocolErrors: this.core.protocolErrors };
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
