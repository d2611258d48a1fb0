import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { HubEmulator, HubEmulatorStartError } from '../src/index.js';

async function occupiedPort(t: { teardown(fn: () => Promise<void>): void }): Promise<number> {
  // Accepts connections and never answers; its sockets are destroyed at teardown.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

test('a taken HTTP port fails start with HubEmulatorStartError naming the port', async (t) => {
  const port = await occupiedPort(t);
  const error = await t.throwsAsync(HubEmulator.start({ mqttPort: 0, httpPort: port }), { instanceOf: HubEmulatorStartError });
  t.true(error.message.includes(String(port)));
});

test('a taken MQTT port fails start with HubEmulatorStartError', async (t) => {
  const port = await occupiedPort(t);
  await t.throwsAsync(HubEmulator.start({ mqttPort: port, httpPort: 0 }), { instanceOf: HubEmulatorStartError, message: /MQTT broker could not start/ });
});

test('an unreachable external broker fails start within its timeout', async (t) => {
  const port = await occupiedPort(t);
  // A plain TCP server that never answers CONNECT: the connect must time out, not hang.
  await t.throwsAsync(HubEmulator.start({ httpPort: 0, brokerUrl: `mqtt://127.0.0.1:${port}`, timeoutMs: 300 }), { instanceOf: HubEmulatorStartError });
});

/** A port nothing listens on: bound, then closed again, so a connect is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a refused external broker fails start and leaves nothing behind: the process exits by itself', async (t) => {
  const index = fileURLToPath(new URL('../src/index.js', import.meta.url));
  const url = `mqtt://127.0.0.1:${await closedPort()}`;
  // Without cleanup the mqtt client's reconnect timer keeps the process alive for ever.
  const script = `import(${JSON.stringify(index)}).then(async (m) => {
    try { await m.HubEmulator.start({ httpPort: 0, brokerUrl: ${JSON.stringify(url)}, timeoutMs: 10000 }); }
    catch (e) { console.log('refused', e.code, e.message); }
  });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // A hang guard: a reconnect timer left behind keeps the process alive for ever, so any bound
  // catches it; a loaded box takes seconds just to load the emulator (8 s was missed under load in full runs).
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  // 'close', not 'exit': what it printed just before exiting may still be in the pipe.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  t.is(signal, null, `still running 60 s after it started:\n${out}`);
  t.is(code, 0, out);
  t.regex(out, /refused internal MQTT broker could not start: connect ECONNREFUSED/);
});
