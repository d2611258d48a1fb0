import type { Server } from 'node:net';

/** Listens and resolves once bound; a bind failure (EADDRINUSE, EACCES) rejects instead of being emitted. */
export async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
