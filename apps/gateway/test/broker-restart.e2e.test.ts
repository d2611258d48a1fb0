import 'reflect-metadata';
import test from 'ava';
import mqtt from 'mqtt';
import { waitFor } from '../src/demo/wait-for.js';
import { MosquittoBroker } from '@iotgw/testkit/mosquitto';
import { SENSOR1, startRig } from './helpers/rig.js';

test.serial('mosquitto restarts during data flow: every QoS 1 reading still reaches the hub side', async (t) => {
  if (!MosquittoBroker.available()) {
    if (process.env.CI === 'true') t.fail('mosquitto is required under CI');
    return t.pass('mosquitto not installed');
  }
  const broker = await MosquittoBroker.launch({ persistence: true });
  t.teardown(() => broker.dispose());
  // The hub's side of data: a persistent QoS 1 subscriber, so the broker keeps its messages across the restart.
  const seen = new Set<number>();
  const observer = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'iotgw-test-observer', clean: false, reconnectPeriod: 200 });
  t.teardown(() => observer.endAsync(true));
  observer.on('message', (_topic, payload) => {
    const n = (JSON.parse(payload.toString('utf8')) as { n?: number }).n;
    if (typeof n === 'number') seen.add(n);
  });
  await observer.subscribeAsync(`${SENSOR1.productId}/${SENSOR1.deviceName}/data`, { qos: 1 });

  const rig = await startRig(t, { memory: true, broker: broker.url, bindings: [SENSOR1] });
  const gateway = await rig.startGateway();
  const states: string[] = [];
  gateway.hub.on('state', (state) => states.push(state));
  const sensor = rig.bench.subdevices[0];
  if (!sensor) throw new Error('no sensor1');
  sensor.powerOn();
  await waitFor('sensor1 online', () => rig.hub.isOnline(SENSOR1.productId, SENSOR1.deviceName), { timeoutMs: 20_000 });

  const total = 40;
  for (let n = 0; n < total; n++) {
    if (n === 10) await broker.restart();
    await sensor.sendData(Buffer.from(JSON.stringify({ n })));
    await new Promise((r) => setTimeout(r, 25));
  }
  await waitFor(`all ${total} readings`, () => seen.size === total, { timeoutMs: 40_000, intervalMs: 100 }).catch((error: unknown) => {
    t.log(`missing: ${Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i)).join(', ')}`);
    throw error;
  });
  t.is(seen.size, total);
  // The restart really cut the gateway off: it went through a non-connected state and came back.
  t.true(states.some((s) => s !== 'connected'), `hub states seen: ${states.join(' → ')}`);
  t.is(states.at(-1), 'connected', states.join(' → '));
  t.log(`gateway hub states: ${states.join(' → ')}`);
});
