import { createServer, type Server } from 'node:http';
import { handleDeviceHttp } from './device-http.js';
import { silentLogger } from '@iotgw/domain';
import { DeviceRegistry, deviceKey } from './device-registry.js';
import { EmbeddedBroker, type AclDenial, type OversizePacket } from './embedded-broker.js';
import { FirmwareCatalog, type FirmwareImage } from './firmware-catalog.js';
import type { FirmwareFaults } from './firmware-faults.js';
import { FirmwareHttpHandler } from './firmware-http-server.js';
import { FirmwareUploads } from './firmware-uploads.js';
import { HubCore } from './hub-core.js';
import type { HubBus } from './hub-bus.js';
import { ExternalBrokerBus } from './external-broker-bus.js';
import { AdminApi } from './admin-api.js';
import { checkAdminTokenShape, createAdminToken } from './admin-token.js';
import { HubEmulatorStartError } from './hub-emulator.errors.js';
import { RefusalLogs } from './refusal-logs.js';
import { checkFirmwareDir } from './firmware-dir.js';
import { createSelfSignedCertificate, type TlsCredentials } from './self-signed-certificate.js';
import { listen } from './listen.js';
import type { AuthFailure, HubEmulatorOptions, HubEmulatorStats, HubEmulatorUrls, HubRefusal } from './hub-emulator.types.js';

export type { AuthFailure, HubEmulatorOptions, HubEmulatorStats, HubEmulatorUrls, HubRefusal } from './hub-emulator.types.js';

interface HubParts {
  registry: DeviceRegistry;
  catalog: FirmwareCatalog;
  core: HubCore;
  firmwareHttp: FirmwareHttpHandler;
  urls: HubEmulatorUrls;
  adminToken: string;
  firmwareDir: string | undefined;
  refusals: RefusalLogs;
  uploads: FirmwareUploads;
  bus: HubBus;
  http: Server;
}

/**
 * A local stand-in for Tencent Cloud IoT Hub: broker with key auth and topic ACL, registry,
 * gateway operations, OTA pushes, firmware HTTP server with fault knobs, admin API and console.
 */
export class HubEmulator {
  readonly registry: DeviceRegistry;
  readonly catalog: FirmwareCatalog;
  readonly core: HubCore;
  readonly firmwareHttp: FirmwareHttpHandler;
  readonly urls: HubEmulatorUrls;
  /** The admin API's and console's token (also in `urls.console`); treat it as a password. */
  readonly adminToken: string;
  /** The directory the admin API may register firmware from by path; undefined: uploads only. */
  readonly firmwareDir: string | undefined;
  /** PEM certificate of the TLS listener (trust it as `ca` in clients); undefined without TLS. */
  tlsCertificate: string | undefined;
  private readonly refusalLogs: RefusalLogs;
  private readonly uploads: FirmwareUploads;
  private readonly bus: HubBus;
  private readonly http: Server;
  private readonly api: AdminApi;

  private constructor(parts: HubParts, logger: HubEmulatorOptions['logger']) {
    this.registry = parts.registry;
    this.catalog = parts.catalog;
    this.core = parts.core;
    this.firmwareHttp = parts.firmwareHttp;
    this.urls = parts.urls;
    this.adminToken = parts.adminToken;
    this.firmwareDir = parts.firmwareDir;
    this.refusalLogs = parts.refusals;
    this.uploads = parts.uploads;
    this.bus = parts.bus;
    this.http = parts.http;
    this.api = new AdminApi(this, logger ?? silentLogger);
  }

  static async start(options: HubEmulatorOptions = {}): Promise<HubEmulator> {
    const host = options.host ?? '127.0.0.1';
    const logger = options.logger ?? silentLogger;
    const adminToken = options.adminToken === undefined ? createAdminToken() : checkAdminTokenShape(options.adminToken);
    const registry = await DeviceRegistry.open(options.registryPath);
    if (options.firmwareDir !== undefined) await checkFirmwareDir(options.firmwareDir);
    const catalog = new FirmwareCatalog();
    const firmwareHttp = new FirmwareHttpHandler(catalog, { logger });
    const history = options.refusalHistory ?? 1000;
    const refusals = new RefusalLogs(history, logger);

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
            onDeviceConnected: (device, clientId) => {
              logger.info('device connected', { device, clientId });
              registry.setOnline(device, true);
            },
            onDeviceDisconnected: (device, clientId) => {
              logger.info('device disconnected', { device, clientId });
              late.core?.gatewayDisconnected(device);
            },
            ...refusals.brokerEvents(),
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
    core.on('protocolError', (topic, reason) => refusals.malformed({ at: Date.now(), topic, reason }));
    const urls: HubEmulatorUrls = {
      mqtt: mqttUrl,
      http: httpBase,
      console: `${httpBase}/?token=${adminToken}`,
      ...(mqttsUrl ? { mqtts: mqttsUrl } : {}),
      ...(wsUrl ? { ws: wsUrl } : {}),
    };
    const uploads = new FirmwareUploads(catalog, options.maxFirmwareBytes);
    const parts: HubParts = { registry, catalog, core, firmwareHttp, urls, adminToken, firmwareDir: options.firmwareDir, refusals, uploads, bus, http };
    const emulator = new HubEmulator(parts, logger);
    emulator.tlsCertificate = tls?.cert;
    http.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', httpBase);
      if (firmwareHttp.handle(req, res, url)) return;
      if (handleDeviceHttp(core.services, req, res, url)) return;
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
    return this.refusalLogs.list(this.core.malformed.items);
  }

  /** Calls `listener` with each refusal as it happens. */
  onRefusal(listener: (refusal: HubRefusal) => void): void {
    this.refusalLogs.onRefusal(listener);
  }

  get stats(): HubEmulatorStats {
    return this.refusalLogs.stats(this.core.protocolErrors);
  }

  /** Fault knobs of the firmware server; replace or edit to inject failures. */
  get firmwareFaults(): FirmwareFaults {
    return this.firmwareHttp.faults;
  }

  set firmwareFaults(faults: FirmwareFaults) {
    this.firmwareHttp.faults = { ...faults };
  }

  /**
   * Registers a firmware file of this machine (md5 and size computed). For in-process callers
   * only: the admin API registers by path only inside `firmwareDir`.
   */
  async registerFirmware(options: { path: string; version: string }): Promise<FirmwareImage> {
    return this.catalog.register(options);
  }

  /**
   * Stores an uploaded image (a stream or bytes) in the emulator's private temp dir and registers
   * it. The dir is removed on close; an upload over `maxFirmwareBytes` is refused.
   */
  async uploadFirmware(options: { version: string; data: AsyncIterable<Uint8Array | string> | Uint8Array }): Promise<FirmwareImage> {
    return this.uploads.store(options);
  }

  isOnline(productId: string, deviceName: string): boolean {
    return this.registry.isOnline(deviceKey(productId, deviceName));
  }

  /** Stops everything and removes uploads; calling it again waits for the same close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.api.closeStreams();
      this.http.closeAllConnections();
      await Promise.all([this.bus.close(), new Promise<void>((resolve) => this.http.close(() => resolve()))]);
      await this.registry.flush();
      await this.uploads.close();
    })();
    return this.closing;
  }

  private closing: Promise<void> | undefined;
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
