import test from 'ava';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { TcpProxy } from '../src/rig/tcp-proxy.js';
import { until } from '../src/rig/processes.js';

/** An echo server on a free port, closed by teardown. */
async function echoServer(t: { teardown(fn: () => void): void }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

/** A proxy in front of an echo server, both closed by teardown. */
async function proxiedEcho(t: { teardown(fn: () => void | Promise<void>): void }): Promise<TcpProxy> {
  const server = await echoServer(t);
  const proxy = new TcpProxy(() => ({ host: '127.0.0.1', port: portOf(server) }));
  await proxy.start();
  t.teardown(() => proxy.close());
  return proxy;
}

async function client(port: number): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  let text = '';
  let closed = false;
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, closed: () => closed };
}

test('the proxy passes bytes both ways to the current target', async (t) => {
  const proxy = await proxiedEcho(t);
  const c = await client(proxy.port);
  c.socket.write('hello');
  await until('the echo', () => c.received() === 'hello', 5_000, 10);
  t.pass();
});

test('a partition holds every byte (nothing crosses, nothing closes) and healing delivers them intact and in order', async (t) => {
  const proxy = await proxiedEcho(t);
  const c = await client(proxy.port);
  c.socket.write('a');
  await until('the first echo', () => c.received() === 'a', 5_000, 10);
  proxy.partition();
  c.socket.write('b');
  c.socket.write('c');
  // A connection opened during the partition hangs rather than being refused.
  const late = await client(proxy.port);
  late.socket.write('x');
  await new Promise((r) => setTimeout(r, 300));
  t.is(c.received(), 'a');
  t.is(late.received(), '');
  t.false(c.closed());
  t.false(late.closed());
  proxy.heal();
  await until('the held bytes', () => c.received() === 'abc' && late.received() === 'x', 5_000, 10);
  t.pass();
});

test('cut resets every connection; new ones connect again', async (t) => {
  const proxy = await proxiedEcho(t);
  const c = await client(proxy.port);
  c.socket.write('a');
  await until('the echo', () => c.received() === 'a', 5_000, 10);
  proxy.cut();
  await until('the reset', () => c.closed(), 5_000, 10);
  t.is(proxy.openConnections, 0);
  const again = await client(proxy.port);
  again.socket.write('b');
  await until('the echo after the cut', () => again.received() === 'b', 5_000, 10);
});

test('with the target down, a connection is closed at once (as a refused hub would)', async (t) => {
  const server = await echoServer(t);
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const proxy = new TcpProxy(() => ({ host: '127.0.0.1', port }));
  await proxy.start();
  t.teardown(() => proxy.close());
  const c = await client(proxy.port);
  await until('the close', () => c.closed(), 5_000, 10);
  t.pass();
});
