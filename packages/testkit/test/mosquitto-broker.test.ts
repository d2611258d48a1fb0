import test from 'ava';
import { createConnection } from 'node:net';
import { MosquittoBroker } from '../src/node/index.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const run = MosquittoBroker.available() || process.env['CI'] === 'true' ? test : test.skip;

run('a real mosquitto: listens on its port, stops, restarts on the same port, and leaves nothing after dispose', async (t) => {
  const broker = await MosquittoBroker.launch({ persistence: true });
  t.teardown(() => broker.dispose());
  t.regex(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  t.true(await accepts(broker.port));
  const port = broker.port;
  await broker.stop();
  t.false(await accepts(port), 'stopped');
  await broker.restart();
  t.is(broker.port, port);
  t.true(await accepts(port), 'restarted on the same port');
  await broker.dispose();
  t.false(await accepts(port));
});

run('a config mosquitto refuses is an error naming the port, not a hang', async (t) => {
  const error = await t.throwsAsync(MosquittoBroker.launch({ extraConfig: 'no_such_option 1', startTimeoutMs: 5_000 }));
  t.regex(error?.message ?? '', /mosquitto exited .* before listening on \d+/);
});
