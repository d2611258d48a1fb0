import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubEmulator } from './hub-emulator.js';

/** JSON admin API under /api and the web console at /. */
export class AdminApi {
  constructor(private readonly hub: HubEmulator) {}

  handle(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (url.pathname === '/api/devices') {
      sendJson(res, 200, { devices: this.hub.registry.list().map(({ deviceSecret: _s, ...d }) => d) });
      return;
    }
    sendJson(res, 404, { error: `no such path ${url.pathname}` });
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}
