import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceServices } from './device-services.js';
import { headerOf, readRequestBody } from './device-request.js';

const MAX_UPLOAD_BYTES = 1024 * 1024;

/**
 * The hub's device HTTP API on the emulator's HTTP port: `POST /device/reportlog` (signed log
 * upload). Returns true when it handled the request.
 */
export function handleDeviceHttp(services: DeviceServices, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (url.pathname !== '/device/reportlog') return false;
  const reply = (status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.method !== 'POST') {
    reply(405, { Response: { Error: { Code: 'UnsupportedOperation', Message: 'POST only' } } });
    return true;
  }
  readRequestBody(req, MAX_UPLOAD_BYTES).then(
    (body) => {
      if (body === undefined) return reply(413, { Response: { Error: { Code: 'InvalidParameter.TooLarge', Message: `a log upload is at most ${MAX_UPLOAD_BYTES} bytes` } } });
      const answer = services.receiveLogUpload(req.headers.host ?? url.host, (name) => headerOf(req, name), body);
      reply(answer.status, answer.body);
    },
    () => undefined, // the uploader went away: nobody to answer
  );
  return true;
}
