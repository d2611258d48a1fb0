import type { IncomingMessage, ServerResponse } from 'node:http';
import { isGatewayError } from '@iotgw/domain';
import type { HubEmulator } from './hub-emulator.js';
import { RegistryError } from './hub-emulator.errors.js';
import { CONSOLE_HTML } from './console-page.js';
import type { FirmwareFaults } from './firmware-faults.js';

const MAX_BODY = 1024 * 1024;

type Json = Record<string, unknown>;

/**
 * JSON admin API under /api, server-sent events at /api/events and the web console at /.
 * Secrets never leave through it: device listings omit `deviceSecret`.
 */
export class AdminApi {
  private readonly streams = new Set<ServerResponse>();

  constructor(private readonly hub: HubEmulator) {
    hub.core.on('ota', (job) => this.broadcast('ota', job));
    hub.core.on('message', (message) => this.broadcast('message', message));
    hub.registry.on('changed', () => this.broadcast('registry', {}));
    hub.registry.on('online', (device, online) => this.broadcast('online', { device, online }));
  }

  /** Ends every open event stream (the HTTP server cannot close while they are open). */
  closeStreams(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.route(req, res, url).catch((error: unknown) => {
      const status = error instanceof RegistryError || (isGatewayError(error) && error.code === 'validation.invalid') ? 400 : 500;
      sendJson(res, status, { error: (error as Error).message, code: isGatewayError(error) ? error.code : 'internal' });
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const hub = this.hub;
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(CONSOLE_HTML);
      return;
    }
    if (method === 'GET' && path === '/api/events') return this.openStream(res);
    if (method === 'GET') {
      switch (path) {
        case '/api/devices':
          return sendJson(res, 200, { devices: this.devices() });
        case '/api/bindings':
          return sendJson(res, 200, { bindings: hub.registry.listBindings() });
        case '/api/online':
          return sendJson(res, 200, { online: hub.registry.listOnline() });
        case '/api/firmware':
          return sendJson(res, 200, { firmware: hub.catalog.list().map(({ path: _p, ...f }) => f) });
        case '/api/ota':
          return sendJson(res, 200, { jobs: hub.core.jobs });
        case '/api/messages':
          return sendJson(res, 200, { messages: hub.core.messages });
        case '/api/stats':
          return sendJson(res, 200, { stats: hub.stats, denials: hub.denials });
        case '/api/state':
          return sendJson(res, 200, this.state());
      }
    }
    if (method === 'PUT' && path === '/api/firmware') {
      // Upload: the raw body is the image; stored in the emulator's own temp dir.
      const version = url.searchParams.get('version') ?? '';
      const image = await hub.uploadFirmware({ version, data: req });
      const { path: _p, ...rest } = image;
      return sendJson(res, 201, { firmware: rest });
    }
    if (method === 'POST') {
      const body = await readJson(req);
      switch (path) {
        case '/api/devices': {
          await hub.registry.addDevice({
            productId: str(body, 'productId'),
            deviceName: str(body, 'deviceName'),
            deviceSecret: str(body, 'deviceSecret'),
            gateway: body['gateway'] === true,
          });
          return sendJson(res, 201, { ok: true });
        }
        case '/api/bind':
          return sendJson(res, 200, { changed: await hub.core.consoleBind({ gateway: str(body, 'gateway'), subdevice: str(body, 'subdevice') }) });
        case '/api/unbind':
          return sendJson(res, 200, { changed: await hub.core.consoleUnbind({ gateway: str(body, 'gateway'), subdevice: str(body, 'subdevice') }) });
        case '/api/data': {
          const payload = body['payload'];
          const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? {});
          const channel = typeof body['channel'] === 'string' ? body['channel'] : 'data';
          await hub.core.sendData(str(body, 'device'), text, channel);
          return sendJson(res, 200, { ok: true });
        }
        case '/api/firmware': {
          const image = await hub.registerFirmware({ path: str(body, 'path'), version: str(body, 'version') });
          const { path: _p, ...rest } = image;
          return sendJson(res, 201, { firmware: rest });
        }
        case '/api/ota': {
          const ttl = body['ttlSec'];
          const job = await hub.core.pushFirmware({
            subdevice: str(body, 'subdevice'),
            firmwareId: str(body, 'firmwareId'),
            ...(typeof ttl === 'number' ? { ttlSec: ttl } : {}),
          });
          return sendJson(res, 201, { job });
        }
        case '/api/faults': {
          hub.firmwareFaults = faultsFrom(body);
          return sendJson(res, 200, { faults: hub.firmwareFaults });
        }
      }
    }
    sendJson(res, 404, { error: `no route ${method} ${path}`, code: 'not_found' });
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
      firmware: this.hub.catalog.list().map(({ path: _p, ...f }) => f),
      jobs: this.hub.core.jobs,
      messages: this.hub.core.messages.slice(-20),
      stats: this.hub.stats,
    };
  }

  private openStream(res: ServerResponse): void {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    res.write(': connected\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  private broadcast(event: string, data: unknown): void {
    if (this.streams.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(frame);
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

async function readJson(req: IncomingMessage): Promise<Json> {
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
