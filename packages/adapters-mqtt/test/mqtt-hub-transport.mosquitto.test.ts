import test, { type ExecutionContext } from 'ava';
import { subdeviceKey } from '@iotgw/domain';
import { MqttHubTransport } from '../src/index.js';
import { MOSQUITTO, Mosquitto } from './helpers/mosquitto.js';
import { HubResponder } from './helpers/hub-responder.js';
import { GW, GW_SECRET, SECRET_A, SUB_A, SUB_C, until } from './helpers/setup.js';

// Under CI a missing mosquitto is a failure; on a developer machine the interop tests are skipped.
const run = MOSQUITTO || process.env['CI'] === 'true' ? test.serial : test.serial.skip;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function setup(t: ExecutionContext): Promise<{ mosquitto: Mosquitto; hub: HubResponder; transport: MqttHubTransport }> {
  const mosquitto = new Mosquitto();
  t.teardown(() => mosquitto.dispose());
  await mosquitto.start();
  // A persistent session: the observer's subscription and queued messages survive the restart.
  const hub = new HubResponder(GW, mosquitto.port, { clientId: 'hub-observer', clean: false });
  await hub.start();
  hub.secrets.set(subdeviceKey(SUB_A), SECRET_A);
  const transport = new MqttHubTransport({
    gateway: GW,
    auth: { mode: 'KEY', deviceSecret: GW_SECRET },
    host: '127.0.0.1',
    port: mosquitto.port,
    tls: false,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
  });
  t.teardown(async () => {
    await transport.close();
    await hub.stop();
  });
  return { mosquitto, hub, transport };
}

run('mosquitto: operations, refusals, downlink and change work through a real mosquitto', async (t) => {
  const { hub, transport } = await setup(t);
  await transport.connect({ timeoutMs: 5000 });
  t.deepEqual((await transport.bind([{ subdevice: SUB_A, secret: SECRET_A }])).map((r) => r.hubCode), [0]);
  t.deepEqual((await transport.online([SUB_A, SUB_C])).map((r) => r.hubCode), [0, -1]);
  t.deepEqual(await transport.listBound(), [SUB_A]);
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(Buffer.from(d.payload).toString()));
  const changes: boolean[] = [];
  transport.on('bindingChanged', (c) => changes.push(c.bound));
  await hub.pushDownlink(SUB_A, 'data', Buffer.from('hello'));
  await hub.pushChange([SUB_C], true);
  await until(() => downlinks.length === 1 && changes.length === 1);
  t.deepEqual(downlinks, ['hello']);
  t.deepEqual(changes, [true]);
  t.deepEqual((await transport.offline([SUB_A])).map((r) => r.ok), [true]);
  t.deepEqual((await transport.unbind([SUB_A])).map((r) => r.ok), [true]);
});

run('mosquitto: restart mid-stream of QoS1 data, every message arrives in order after reconnect', async (t) => {
  const { mosquitto, hub, transport } = await setup(t);
  await transport.connect({ timeoutMs: 5000 });
  hub.bound.add(subdeviceKey(SUB_A));
  await transport.online([SUB_A]);
  const total = 150;
  for (let i = 0; i < total; i++) {
    if (i === 50) {
      await mosquitto.stop();
      await until(() => transport.state === 'reconnecting');
    }
    if (i === 100) {
      await mosquitto.start();
    }
    // While mosquitto is down publishes are queued (and resolve once queued).
    await transport.publishData(SUB_A, 'data', enc(String(i)), { timeoutMs: 10_000 });
    if (i === 99) t.is(transport.uplinkBacklog()?.depth, 50);
  }
  // What the app does on 'reconnected': the hub forgot online subdevices, so online again.
  await until(() => transport.state === 'connected' && hub.ready >= 2, 10_000, 'gateway and responder back');
  await transport.online([SUB_A]);
  // Wait for what is asserted below: all 100 messages from the restart on (50..149).
  const fromRestart = (): Set<number> => new Set(hub.data.map((d) => Number(d.payload.toString())).filter((n) => n >= 50));
  await until(() => fromRestart().size >= 100, 10_000, 'messages after restart').catch((e: unknown) => {
    t.log(hub.data.map((d) => d.payload.toString()).join(' '), transport.state, transport.uplinkBacklog(), 'ready', hub.ready);
    throw e;
  });
  const afterRestart = hub.data.map((d) => Number(d.payload.toString())).filter((n) => n >= 50);
  const first = [...new Set(afterRestart)];
  t.deepEqual(first, Array.from({ length: 100 }, (_, i) => i + 50));
});
