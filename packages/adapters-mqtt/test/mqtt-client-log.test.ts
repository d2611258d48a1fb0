import test from 'ava';
import createDebug from 'debug';
import { mqttClientLog } from '../src/mqtt-client-log.js';
import { rig } from './helpers/setup.js';

// debug's state is global to this worker: every test leaves it as it found it.
const withDebug = async <T>(namespaces: string, body: () => T | Promise<T>): Promise<T> => {
  const before = createDebug.disable();
  createDebug.enable(namespaces);
  try {
    return await body();
  } finally {
    createDebug.disable();
    createDebug.enable(before);
  }
};

test.serial('mqtt.js gets a no-op logger unless DEBUG enables mqttjs:client, as debug itself reads DEBUG', async (t) => {
  for (const [namespaces, kept] of [
    ['', false],
    ['iotgw*', false],
    ['*,-mqttjs*', false],
    ['mqttjs:client', true],
    ['mqttjs*', true],
    ['*', true],
  ] as const) {
    const option = await withDebug(namespaces, () => mqttClientLog());
    if (kept) t.deepEqual(option, {}, `DEBUG=${namespaces}: mqtt.js keeps its own logger`);
    else t.is(typeof option.log, 'function', `DEBUG=${namespaces}: a no-op logger`);
  }
});

test.serial('with DEBUG=mqttjs* the connection to a real broker still prints mqtt.js debug lines', async (t) => {
  const namespaces: string[] = [];
  const log = createDebug.log;
  createDebug.log = function (this: { namespace: string }) {
    namespaces.push(this.namespace);
  };
  t.teardown(() => {
    createDebug.log = log;
  });
  await withDebug('mqttjs*', async () => {
    const { transport } = await rig(t);
    await transport.connect({ timeoutMs: 10_000 });
  });
  t.true(namespaces.includes('mqttjs:client'), `namespaces seen: ${[...new Set(namespaces)].join(', ')}`);
});
