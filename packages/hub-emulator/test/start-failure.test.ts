import test from 'ava';
import { createServer, type Socket } from 'node:net';
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
