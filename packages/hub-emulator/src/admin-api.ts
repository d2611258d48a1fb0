import type { IncomingMessage, ServerResponse } from 'node:http';
import { isGatewayError, type Logger, type ShadowState } from '@iotgw/domain';
import type { HubEmulator } from './hub-emulator.js';
import { AdminRequestError, RegistryError } from './hub-emulator.errors.js';
import { CONSOLE_HTML } from './console-page.js';
import { FAVICON_SVG } from './console-favicon.js';
import type { FirmwareFaults } from './firmware-faults.js';
import { carriesAdminToken } from './admin-token.js';
import { AdminEventStreams } from './admin-events.js';
import { resolveInFirmwareDir } from './firmware-dir.js';

const MAX_BODY = 1024 * 1024;

type Json = Record<string, unknown>;

/**
 * JSON admin API under /api, server-sent events at /api/events and the web console at /. Every
 * route but the favicon needs the admin token; request bodies are JSON only (an upload is raw
 * bytes with PUT), so a web page elsewhere cannot drive it with a form or a text/plain post.
 * Secrets never leave through it: device listings omit `deviceSecret`.
 */
export class AdminApi {
  private readonly streams = new AdminEventStreams();

  constructor(
    private readonly hub: HubEmulator,
    private readonly logger: Logger,
  ) {
    hub.core.on('ota', (job) => this.streams.broadcast('ota', job));
    hub.core.on('message', (message) => this.streams.broadcast('message', message));
    hub.core.on('version', (device, version) => this.streams.broadcast('version', { device, version }));
    hub.core.on('rrpc', (record) => this.streams.broadcast('rrpc', record));
    hub.core.on('topologyAck', (record) => this.streams.broadcast('topologyAck', record));
    hub.core.on('shadow', (device, record) => this.streams.broadcast('shadow', { device, ...record, delta: hub.core.shadows.delta(record) }));
    hub.onRefusal((refusal) => this.streams.broadcast('refusal', refusal));
    hub.registry.on('changed', () => this.streams.broadcast('registry', {}));
    hub.registry.on('online', (device, online) => this.streams.broadcast('online', { device, online }));
  }

  /** Ends every open event stream (the HTTP server cannot close while they are open). */
  closeStreams(): void {
    this.streams.closeAll();
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.route(req, res, url).catch((error: unknown) => {
      const status = error instanceof AdminRequestError ? error.status : error instanceof RegistryError || (isGatewayError(error) && error.code === 'validation.invalid') ? 400 : 500;
      if (status === 500) this.logger.error('admin API request failed', { path: url.pathname, error: (error as Error).message });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // The body may still be arriving (a refused upload): answer, then stop reading it.
      res.setHeader('Connection', 'close');
      sendJson(res, status, { error: (error as Error).message, code: status === 401 ? 'unauthorized' : isGatewayError(error) ? error.code : 'internal' });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && (path === '/favicon.ico' || path === '/favicon.svg')) {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'max-age=86400' }).end(FAVICON_SVG);
      return;
    }
    const page = path === '/' || path === '/index.html';
    if (!page && !path.startsWith('/api/')) return sendJson(res, 404, { error: `no route ${method} ${path}`, code: 'not_found' });
    if (!carriesAdminToken(req, url, this.hub.adminToken)) {
      this.logger.warn('admin request without a valid token refused', { method, path });
      if (page) {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('This console needs its token: open the console URL the hub printed at start (it ends in ?token=...).\n');
        return;
      }
      throw new AdminRequestError(401, 'admin token missing or wrong: send "Authorization: Bearer <token>" (the token is in the console URL the hub printed at start)');
    }
    if (method === 'GET' && page) {
      // The token is in this page's URL: never send it on as a Referer.
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' }).end(CONSOLE_HTML);
      return;
    }
    if (method === 'GET') return this.get(res, path);
    if (method === 'PUT' && path === '/api/firmware') return this.upload(req, res, url);
    if (method === 'POST') return this.post(res, path, await readJson(req));
    sendJson(res, 404, { error: `no route ${method} ${path}`, code: 'not_found' });
  }

  private get(res: ServerResponse, path: string): void {
    const hub = this.hub;
    switch (path) {
      case '/api/events':
        return this.streams.open(res);
      case '/api/devices':
        return sendJson(res, 200, { devices: this.devices() });
      case '/api/bindings':
        return sendJson(res, 200, { bindings: hub.registry.listBindings() });
      case '/api/products':
        return sendJson(res, 200, { products: hub.registry.listProducts() });
      case '/api/online':
        return sendJson(res, 200, { online: hub.registry.listOnline() });
      case '/api/firmware':
        return sendJson(res, 200, { firmware: this.firmware() });
      case '/api/ota':
        return sendJson(res, 200, { jobs: hub.core.jobs });
      case '/api/messages':
        return sendJson(res, 200, { messages: hub.core.messages });
      case '/api/topology-acks':
        return sendJson(res, 200, { acks: hub.core.topology.acks.items, total: hub.core.topology.acks.total });
      case '/api/stats':
        return sendJson(res, 200, { stats: hub.stats, denials: hub.denials });
      case '/api/refusals':
        return sendJson(res, 200, { stats: hub.stats, refusals: hub.refusals() });
      case '/api/state':
        return sendJson(res, 200, this.state());
      case '/api/rrpc':
        return sendJson(res, 200, { calls: hub.core.rrpc.history, lateReplies: hub.core.rrpc.lateReplies });
      case '/api/shadow':
        return sendJson(res, 200, { shadows: hub.core.shadows.list() });
      case '/api/time':
        return sendJson(res, 200, { now: Date.now(), timeRequests: hub.core.timeRequests });
      case '/api/logs':
        return sendJson(res, 200, { total: hub.core.services.uploadedLogs.total, lines: hub.core.services.uploadedLogs.items });
    }
    sendJson(res, 404, { error: `no route GET ${path}`, code: 'not_found' });
  }

  /** Upload: the raw body is the image (application/octet-stream), stored in the emulator's own temp dir. */
  private async upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    requireContentType(req, 'application/octet-stream', 'send the image bytes with "Content-Type: application/octet-stream"');
    const image = await this.hub.uploadFirmware({ version: url.searchParams.get('version') ?? '', data: req });
    this.logger.info('console: firmware uploaded', { firmware: image.id, version: image.version, bytes: image.size, md5: image.md5 });
    const { path: _p, ...rest } = image;
    sendJson(res, 201, { firmware: rest });
  }

  private async post(res: ServerResponse, path: string, body: Json): Promise<void> {
    const hub = this.hub;
    switch (path) {
      case '/api/devices': {
        const device = { productId: str(body, 'productId'), deviceName: str(body, 'deviceName'), gateway: body['gateway'] === true };
        await hub.registry.addDevice({ ...device, deviceSecret: str(body, 'deviceSecret') });
        this.logger.info('console: device added', { device: `${device.productId}/${device.deviceName}`, gateway: device.gateway });
        return sendJson(res, 201, { ok: true });
      }
      case '/api/products': {
        // The product secret is optional when only the dynamic registration switch changes.
        const secret = body['productSecret'];
        const product = {
          productId: str(body, 'productId'),
          ...(typeof secret === 'string' ? { productSecret: secret } : {}),
          dynamicRegistration: body['dynamicRegistration'] === true,
        };
        await hub.registry.setProduct(product);
        this.logger.info('console: product set', { productId: product.productId, dynamicRegistration: product.dynamicRegistration });
        return sendJson(res, 200, { products: hub.registry.listProducts() });
      }
      case '/api/products/topics': {
        // The product's custom topics (its topic list beyond data, event, control), replaced as a whole.
        const productId = str(body, 'productId');
        const topics = body['topics'];
        await hub.registry.setProductTopics(productId, topics as string[]); // validated there (not an array: a clear error)
        this.logger.info('console: product topics set', { productId, topics: hub.registry.productTopics(productId).join(' ') });
        return sendJson(res, 200, { productId, topics: hub.registry.productTopics(productId) });
      }
      case '/api/bind':
      case '/api/unbind': {
        const binding = { gateway: str(body, 'gateway'), subdevice: str(body, 'subdevice') };
        const changed = path === '/api/bind' ? await hub.core.consoleBind(binding) : await hub.core.consoleUnbind(binding);
        this.logger.info(`console: ${path.slice(5)}`, { ...binding, changed });
        return sendJson(res, 200, { changed });
      }
      case '/api/unbind-all': {
        // The console's "unbind all subdevices" of a gateway: the registry first, then `unbind_all`.
        const gateway = str(body, 'gateway');
        const unbound = await hub.core.topology.unbindAll(gateway);
        this.logger.info('console: unbind all', { gateway, unbound: unbound.length });
        return sendJson(res, 200, { unbound });
      }
      case '/api/search-devices': {
        // The console's "search for subdevices": status 1 start, 0 stop.
        const gateway = str(body, 'gateway');
        const status = body['status'] ?? 1;
        if (typeof status !== 'number' || !Number.isSafeInteger(status)) throw new RegistryError('"status" must be an integer: 1 start searching, 0 stop');
        await hub.core.topology.searchDevices(gateway, status);
        this.logger.info('console: search devices', { gateway, status });
        return sendJson(res, 200, { ok: true });
      }
      case '/api/data': {
        const payload = body['payload'];
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? {});
        const channel = typeof body['channel'] === 'string' ? body['channel'] : 'data';
        const device = str(body, 'device');
        await hub.core.sendData(device, text, channel);
        this.logger.info('console: data sent', { device, channel, bytes: Buffer.byteLength(text) });
        return sendJson(res, 200, { ok: true });
      }
      case '/api/rrpc': {
        // As the cloud API PublishRRPCMessage: waits for the reply (200 answered) or the timeout (504).
        const payload = body['payload'];
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? {});
        const timeout = body['timeoutMs'];
        if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isSafeInteger(timeout))) throw new RegistryError('"timeoutMs" must be an integer of milliseconds');
        const record = await hub.core.rrpc.call(str(body, 'device'), text, typeof timeout === 'number' ? timeout : undefined);
        this.logger.info('console: RRPC', { device: record.device, processId: record.processId, status: record.status });
        return sendJson(res, record.status === 'answered' ? 200 : 504, { rrpc: record });
      }
      case '/api/shadow': {
        // As the cloud API UpdateDeviceShadow: sets desired; an online device gets the delta now, an offline one on its next get.
        const desired = body['desired'];
        if (typeof desired !== 'object' || desired === null || Array.isArray(desired)) throw new RegistryError('"desired" must be a JSON object, e.g. {"led":1}');
        const device = str(body, 'device');
        const record = await hub.core.shadows.setDesired(device, desired as ShadowState);
        this.logger.info('console: shadow desired set', { device, version: record.version });
        return sendJson(res, 200, { shadow: { device, ...record, delta: hub.core.shadows.delta(record) } });
      }
      case '/api/broadcast': {
        const payload = body['payload'];
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? {});
        const sentTo = await hub.core.broadcast(str(body, 'productId'), text);
        this.logger.info('console: broadcast', { productId: str(body, 'productId'), devices: sentTo.length });
        return sendJson(res, 200, { sentTo });
      }
      case '/api/firmware': {
        const file = await resolveInFirmwareDir(hub.firmwareDir, str(body, 'path'));
        const image = await hub.registerFirmware({ path: file, version: str(body, 'version') });
        this.logger.info('console: firmware registered', { firmware: image.id, version: image.version, bytes: image.size, md5: image.md5 });
        const { path: _p, ...rest } = image;
        return sendJson(res, 201, { firmware: rest });
      }
      case '/api/ota': {
        const ttl = body['ttlSec'];
        if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 1)) throw new RegistryError('"ttlSec" must be a positive integer of seconds');
        // `device` names a gateway too (its own update); `subdevice` is the older name.
        const target = typeof body['device'] === 'string' ? str(body, 'device') : str(body, 'subdevice');
        const job = await hub.core.pushFirmware({ subdevice: target, firmwareId: str(body, 'firmwareId'), ...(typeof ttl === 'number' ? { ttlSec: ttl } : {}) });
        return sendJson(res, 201, { job });
      }
      case '/api/config': {
        const device = str(body, 'device');
        const config = body['config'];
        if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new RegistryError('"config" must be a JSON object (the configuration document to push)');
        if (!hub.registry.getByKey(device)) throw new RegistryError(`device ${device} is not in the registry`);
        await hub.core.services.pushConfig(device, config as Json);
        return sendJson(res, 200, { ok: true });
      }
      case '/api/config-enabled': {
        const productId = str(body, 'productId');
        if (typeof body['enabled'] !== 'boolean') throw new RegistryError('"enabled" must be true or false');
        hub.core.services.setConfigEnabled(productId, body['enabled']);
        this.logger.info('console: remote configuration switched', { productId, enabled: body['enabled'] });
        return sendJson(res, 200, { ok: true });
      }
      case '/api/log-level': {
        const device = str(body, 'device');
        const level = body['level'];
        if (level !== 'none' && level !== 'error' && level !== 'warn' && level !== 'info' && level !== 'debug') throw new RegistryError('"level" must be none, error, warn, info or debug');
        if (!hub.registry.getByKey(device)) throw new RegistryError(`device ${device} is not in the registry`);
        await hub.core.services.setLogLevel(device, level);
        return sendJson(res, 200, { ok: true });
      }
      case '/api/faults': {
        hub.firmwareFaults = faultsFrom(body);
        this.logger.info('console: firmware faults set', { ...hub.firmwareFaults });
        return sendJson(res, 200, { faults: hub.firmwareFaults });
      }
    }
    sendJson(res, 404, { error: `no route POST ${path}`, code: 'not_found' });
  }

  private firmware(): Json[] {
    return this.hub.catalog.list().map(({ path: _p, ...f }) => f);
  }

  private devices(): Json[] {
    return this.hub.registry.list().map((d) => {
      const key = `${d.productId}/${d.deviceName}`;
      return {
        productId: d.productId,
        deviceName: d.deviceName,
        gateway: d.gateway === true,
        online: this.hub.registry.isOnline(key),
        boundTo: this.hub.registry.gatewayOf(key) ?? null,
        version: this.hub.core.reportedVersions.get(key) ?? null,
      };
    });
  }

  private state(): Json {
    return {
      devices: this.devices(),
      bindings: this.hub.registry.listBindings(),
      products: this.hub.registry.listProducts(),
      firmware: this.firmware(),
      jobs: this.hub.core.jobs,
      stats: this.hub.stats,
    };
  }
}

function faultsFrom(body: Json): FirmwareFaults {
  const faults: FirmwareFaults = {};
  for (const key of ['throttleBytesPerSec', 'cutAfterBytes', 'corruptByteAt', 'fail500Count'] as const) {
    const value = body[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new RegistryError(`"${key}" must be a non-negative integer`);
    faults[key] = value;
  }
  return faults;
}

function str(body: Json, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) throw new RegistryError(`"${field}" must be a non-empty string`);
  return value;
}

/** Refuses (415) a body of another type: a form or text/plain post from a web page is never read. */
function requireContentType(req: IncomingMessage, expected: string, fix: string): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== expected) throw new AdminRequestError(415, `request body must be ${expected}, got ${JSON.stringify(type || 'none')}: ${fix}`);
}

async function readJson(req: IncomingMessage): Promise<Json> {
  requireContentType(req, 'application/json', 'send a JSON object with "Content-Type: application/json"');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new RegistryError(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RegistryError('request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistryError('request body must be a JSON object');
  return value as Json;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
