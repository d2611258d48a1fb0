import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeviceServices } from './device-services.js';

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
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_UPLOAD_BYTES) {
      reply(413, { Response: { Error: { Code: 'InvalidParameter.TooLarge', Message: `a log upload is at most ${MAX_UPLOAD_BYTES} bytes` } } });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const answer = services.receiveLogUpload(req.headers.host ?? url.host, req.headers, Buffer.concat(chunks).toString('utf8'));
    reply(answer.status, answer.body);
  });
  return true;
}
