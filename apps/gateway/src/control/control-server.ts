import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Gateway } from '@iotgw/app';
import {
  ConfigError,
  HubDisconnectedError,
  SecretMissingError,
  TimeoutError,
  ValidationError,
  isGatewayError,
  parseSubdeviceKey,
  toGatewayError,
  type GatewayError,
  type SubdeviceId,
  type SubdeviceResult,
} from '@iotgw/domain';
import { GatewayMetrics } from './gateway-metrics.js';
import { gatewayStatus } from './gateway-status.js';

const OPERATIONS = ['bind', 'unbind', 'online', 'offline'] as const;
type Operation = (typeof OPERATIONS)[number];

/**
 * Local control and health endpoint of a running gateway, on 127.0.0.1 only:
 * GET /health (200 when the hub is connected and the offline store writes, 503 otherwise), GET /metrics (Prometheus text),
 * GET /subdevices, POST /subdevices/{bind|unbind|online|offline} with {"subdevices": ["PID/name"]}.
 */
export class ControlServer {
  readonly #server: Server;
  readonly #metrics: GatewayMetrics;

  private constructor(
    private readonly gateway: Gateway,
    readonly url: string,
    server: Server,
    metrics: GatewayMetrics,
  ) {
    this.#server = server;
    this.#metrics = metrics;
  }

  static async start(gateway: Gateway, port: number): Promise<ControlServer> {
    const metrics = new GatewayMetrics(gateway);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      const refused = (error: NodeJS.ErrnoException): void => reject(listenError(error, port));
      server.once('error', refused);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', refused);
        resolve();
      });
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    const control = new ControlServer(gateway, `http://127.0.0.1:${bound}`, server, metrics);
    server.on('request', (req, res) => {
      control.#handle(req, res).catch((error: unknown) => {
        const e = toGatewayError(error);
        send(res, httpStatusFor(e), { error: e.message, code: e.code });
      });
    });
    return control;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (req.method === 'GET' && path === '/health') {
      const status = gatewayStatus(this.gateway);
      const store = status.uplink?.degraded;
      // Degraded (503) while the hub is away, and loudly so while the disk refuses the held data.
      const healthy = status.hub === 'connected' && !store;
      send(res, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'degraded',
        hub: status.hub,
        subdevicesOnline: status.subdevices.filter((s) => s.session === 'online').length,
        uplinkBacklog: status.uplink ? { depth: status.uplink.depth, bytes: status.uplink.bytes, oldestAgeMs: status.uplink.oldestAgeMs, dropped: status.uplink.dropped } : null,
        ...(store
          ? { problems: [`offline store cannot write (${store.code}) since ${new Date(store.sinceMs).toISOString()}: readings are held in memory (bounded) and dropped beyond it; free space in the data dir`] }
          : {}),
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'Content-Type': this.#metrics.contentType });
      res.end(await this.#metrics.text());
      return;
    }
    if (req.method === 'GET' && path === '/subdevices') {
      send(res, 200, gatewayStatus(this.gateway));
      return;
    }
    const op = /^\/subdevices\/([a-z]+)$/.exec(path)?.[1];
    if (req.method === 'POST' && op && (OPERATIONS as readonly string[]).includes(op)) {
      let subdevices: SubdeviceId[];
      try {
        subdevices = parseBody(await readBody(req));
      } catch (error) {
        send(res, 400, { error: isGatewayError(error) ? error.message : (error as Error).message });
        return;
      }
      const results = await this.#run(op as Operation, subdevices);
      send(res, 200, { results: results.map((r) => ({ id: `${r.subdevice.productId}/${r.subdevice.deviceName}`, ok: r.ok, hubCode: r.hubCode, ...(r.error ? { reason: r.error.reason } : {}), message: r.message })) });
      return;
    }
    send(res, 404, { error: `no ${req.method ?? ''} ${path}; try GET /health, /metrics, /subdevices or POST /subdevices/{bind|unbind|online|offline}` });
  }

  #run(op: Operation, subdevices: SubdeviceId[]): Promise<SubdeviceResult[]> {
    const { binding, presence } = this.gateway.service;
    const options = { timeoutMs: 15_000 };
    switch (op) {
      case 'bind':
        return binding.bind(subdevices, options);
      case 'unbind':
        return binding.unbind(subdevices, options);
      case 'online':
        return presence.bringOnline(subdevices, options);
      case 'offline':
        return presence.takeOffline(subdevices, options);
    }
  }

  async close(): Promise<void> {
    this.#metrics.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('request body larger than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): SubdeviceId[] {
  const body = JSON.parse(text || '{}') as { subdevices?: unknown };
  if (!Array.isArray(body.subdevices) || body.subdevices.length === 0 || !body.subdevices.every((s) => typeof s === 'string')) {
    throw new Error('body must be {"subdevices": ["PRODUCTID/deviceName", ...]}');
  }
  return (body.subdevices).map((s) => parseSubdeviceKey(s));
}

/**
 * A request the gateway cannot serve as asked (unknown subdevice secret, bad input) is the
 * caller's to fix (4xx); a hub that is away or slow is 503/504; only the unexpected is 500.
 */
function httpStatusFor(error: GatewayError): number {
  if (error instanceof ValidationError || error instanceof ConfigError || error instanceof SecretMissingError) return 400;
  if (error instanceof HubDisconnectedError) return 503;
  if (error instanceof TimeoutError) return 504;
  return 500;
}

/** A port the user chose and cannot have is a configuration problem (exit 2, one line), not a crash. */
function listenError(error: NodeJS.ErrnoException, port: number): GatewayError {
  if (error.code === 'EADDRINUSE') {
    return new ConfigError('control.port', `127.0.0.1:${port} is already in use (is another "iotgw start" running?): choose a free port, or 0 for any`, { cause: error });
  }
  if (error.code === 'EACCES') return new ConfigError('control.port', `${port} needs privileges this process does not have: choose a port above 1023`, { cause: error });
  return toGatewayError(error);
}
