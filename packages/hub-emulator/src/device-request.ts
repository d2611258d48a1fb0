import type { IncomingMessage } from 'node:http';

/**
 * The body of a device HTTP request as text, or undefined once it grows over `maxBytes` (known
 * at once, so the caller can answer right away; the rest is drained, not kept). Rejects when the
 * client goes away before the end.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (body: string | undefined): void => {
      if (settled) return;
      settled = true;
      resolve(body);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle(undefined);
      } else if (!settled) chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks).toString('utf8')));
    req.on('close', () => {
      if (!settled) {
        settled = true;
        reject(new Error('the client went away before the end of its request'));
      }
    });
    req.on('error', () => undefined); // 'close' follows and settles
  });
}

/** One request header by lower-case name (the first, when repeated). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
