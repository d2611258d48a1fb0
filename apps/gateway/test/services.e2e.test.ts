import 'reflect-metadata';
import test from 'ava';
import { SubdeviceSessions, type Gateway } from '@iotgw/app';
import { subdeviceKey } from '@iotgw/domain';
import { waitFor } from '../src/demo/wait-for.js';
import { SENSOR1, SENSOR2, startRig, type Rig } from './helpers/rig.js';

// The hub's device services for subdevices, end to end: emulator ⇄ MQTT ⇄ gateway ⇄ serial link
// over a real socat pty ⇄ simulated subdevice.

const s1 = subdeviceKey(SENSOR1);

/** Online as the gateway sees it: the hub accepted it and its topics are subscribed (SUBACK). */
async function sensor1Online(rig: Rig, gateway: Gateway): Promise<void> {
  rig.bench.subdevices[0]?.powerOn();
  const sessions = gateway.container.resolve(SubdeviceSessions);
  await waitFor('sensor1 online with its topics subscribed', () => sessions.stateOf(SENSOR1) === 'online', { timeoutMs: 20_000 });
}

test.serial('RRPC: the hub request reaches the subdevice over the pty and its answer comes back under the process id; a slow subdevice gets no reply sent, not even late', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  const gateway = await rig.startGateway();
  await sensor1Online(rig, gateway);
  const sim = rig.bench.subdevices[0]!.simulator;
  sim.requestHandler = (p) => new TextEncoder().encode(`{"door":"${new TextDecoder().decode(p)}"}`);
  const answered = await rig.hub.core.rrpc.call(s1, 'closed');
  t.is(answered.status, 'answered', JSON.stringify(answered));
  t.is(answered.reply, '{"door":"closed"}');
  t.deepEqual(sim.requests.map((r) => new TextDecoder().decode(r)).at(-1), 'closed');

  // Slower than the gateway's deadline (3.5 s): the hub's 4 s pass without a reply, and none comes later.
  sim.requestDelayMs = 5000;
  const slow = await rig.hub.core.rrpc.call(s1, 'slow');
  t.is(slow.status, 'timeout');
  await waitFor('the subdevice to have answered late', () => gateway.service.rrpc.stats.timedOut >= 1, { timeoutMs: 10_000 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.is(rig.hub.core.rrpc.lateReplies, 0, 'no late reply reached the hub');
  t.like(gateway.service.rrpc.stats, { timedOut: 1 });
});
