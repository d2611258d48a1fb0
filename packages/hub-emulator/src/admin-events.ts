import type { ServerResponse } from 'node:http';

/** Most bytes queued for one event stream before it is dropped (a stalled tab must not grow us). */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** Most event streams open at once; the oldest is closed to make room (the browser reconnects). */
const MAX_STREAMS = 32;

/**
 * Server-sent events for the console (`/api/events`). A stream whose reader does not keep up is
 * ended rather than buffered without bound; EventSource reconnects and the console reloads state.
 */
export class AdminEventStreams {
  private readonly streams = new Set<ServerResponse>();

  open(res: ServerResponse): void {
    if (this.streams.size >= MAX_STREAMS) {
      const oldest = this.streams.values().next().value;
      if (oldest) this.drop(oldest);
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    res.write(': connected\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  broadcast(event: string, data: unknown): void {
    if (this.streams.size === 0) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) {
      if (res.writableLength > MAX_QUEUED_BYTES) this.drop(res);
      else res.write(frame);
    }
  }

  /** Ends every open stream (the HTTP server cannot close while they are open). */
  closeAll(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private drop(res: ServerResponse): void {
    this.streams.delete(res);
    res.destroy();
  }
}
