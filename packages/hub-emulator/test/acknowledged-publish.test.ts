// Its own file: it stretches setImmediate for the whole process (ava runs each file in its own worker).
import test from 'ava';
import { connectGateway, startHub, sub, SUB1 } from './helpers.js';

test('the hub takes a QoS 1 publish before it acknowledges it (a hub killed after its PUBACK has the message on record)', async (t) => {
  const fx = await startHub();
  const realSetImmediate = globalThis.setImmediate;
  try {
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    const taken: string[] = [];
    fx.hub.core.on('message', (m) => {
      if (m.direction === 'up' && m.topic === 'SB00000001/test1/data') taken.push(m.payload);
    });
    // Every deferred step of the broker now waits 200 ms: aedes writes a QoS 1 PUBACK and only a
    // turn later publishes the message, so a hub that takes messages from the publish that follows
    // has not taken it yet when the PUBACK reaches the device.
    globalThis.setImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(fn, 200, ...args)) as unknown as typeof setImmediate;
    await gw.client.publishAsync('SB00000001/test1/data', '{"seq":1}', { qos: 1 });
    t.deepEqual(taken, ['{"seq":1}']);
  } finally {
    globalThis.setImmediate = realSetImmediate;
    await fx.cleanup();
  }
});
