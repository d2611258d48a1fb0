import 'reflect-metadata';
import test from 'ava';
import { SubdeviceSessions, type Gateway } from '@iotgw/app';
import { subdeviceKey } from '@iotgw/domain';
import { GatewayMetrics } from '../src/control/gateway-metrics.js';
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
  await waitFor('the subdevice to have answered late', () => gateway.service.rrpc.stats.timedOut >= 1, { timeoutMs: 30_000 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.is(rig.hub.core.rrpc.lateReplies, 0, 'no late reply reached the hub');
  t.like(gateway.service.rrpc.stats, { timedOut: 1 });
  const metrics = new GatewayMetrics(gateway);
  t.teardown(() => metrics.close());
  const text = await metrics.text();
  t.regex(text, /^iotgw_rrpc_requests\{outcome="answered"\} 1$/m);
  t.regex(text, /^iotgw_rrpc_requests\{outcome="timed_out"\} 1$/m);
});

test.serial('shadow: desired set at the hub reaches the subdevice over the pty as a delta, its report comes back, desired is cleared; a sleeping subdevice gets it after a gateway restart when it wakes', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  let gateway = await rig.startGateway();
  await sensor1Online(rig, gateway);
  const sim1 = rig.bench.subdevices[0]!.simulator;
  await rig.hub.core.shadows.setDesired(s1, { led: 1 });
  await waitFor('the delta at sensor1', () => sim1.shadowDeltas.length === 1, { timeoutMs: 30_000 });
  t.deepEqual(sim1.shadowDeltas[0]!.state, { led: 1 });
  await waitFor('reported at the hub and desired cleared', () => rig.hub.core.shadows.of(s1).reported['led'] === 1 && rig.hub.core.shadows.of(s1).desired === undefined, { timeoutMs: 30_000 });

  // sensor2 sleeps (never attached); the console sets desired; the gateway restarts meanwhile.
  const s2 = subdeviceKey(SENSOR2);
  await rig.hub.core.shadows.setDesired(s2, { interval: 60 });
  await gateway.dispose({ timeoutMs: 10_000 });
  gateway = await rig.startGateway();
  const sim2 = rig.bench.subdevices[1]!.simulator;
  rig.bench.subdevices[1]!.powerOn();
  await waitFor('the delta at sensor2 once awake', () => sim2.shadowDeltas.length === 1, { timeoutMs: 20_000 });
  t.deepEqual(sim2.shadowDeltas[0]!.state, { interval: 60 });
  await waitFor('sensor2 reported, desired cleared', () => rig.hub.core.shadows.of(s2).reported['interval'] === 60 && rig.hub.core.shadows.of(s2).desired === undefined, { timeoutMs: 30_000 });
  t.is(gateway.service.shadow.delivered, 1);
});

test.serial('time: a subdevice without a clock asks over the pty and gets hub time from the offset the gateway measured at the emulator', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  const gateway = await rig.startGateway();
  await sensor1Online(rig, gateway);
  await waitFor('the hub time measured', () => gateway.service.hubClock.offsetMs !== undefined, { timeoutMs: 30_000 });
  t.true(rig.hub.core.timeRequests >= 1);
  const sim = rig.bench.subdevices[0]!.simulator;
  // On a loaded box (load 14) the session's keepalives lapsed once and the subdevice was saying
  // HELLO again when asked: ask while it is connected, again if its session ends meanwhile.
  let asked: { before: number; time: Awaited<ReturnType<typeof sim.requestTime>>; after: number } | undefined;
  for (let tries = 0; !asked; tries++) {
    await waitFor('sensor1 connected to the gateway', () => sim.connected, { timeoutMs: 30_000 });
    const before = Date.now();
    try {
      asked = { before, time: await sim.requestTime(), after: Date.now() };
    } catch (error) {
      if ((error as { reason?: string }).reason !== 'detached' || tries >= 3) throw error;
    }
  }
  const { before, time, after } = asked;
  t.true(time.synced);
  // The answer is this machine's clock plus the offset the gateway measured (within the request's
  // round trip, plus rounding). The emulator's clock is this machine's too, so the offset itself is
  // only the measurement's error: half its round trip, which a loaded box stretches past 50 ms.
  const offset = gateway.service.hubClock.offsetMs ?? Number.NaN;
  t.true(time.unixMs >= before + offset - 50 && time.unixMs <= after + offset + 50, `${time.unixMs} not within ${before}..${after} + ${offset} ms`);
  t.true(Math.abs(offset) < 5000, `offset ${offset} ms from a hub on this machine's clock`);
});

test.serial('broadcast: the hub broadcasts to the product; each online subdevice gets it over its pty, an asleep one does not', async (t) => {
  const rig = await startRig(t, { bindings: [SENSOR1, SENSOR2] });
  const gateway = await rig.startGateway();
  await sensor1Online(rig, gateway);
  const sentTo = await rig.hub.core.broadcast(SENSOR1.productId, '{"notice":"maintenance at 02:00"}');
  t.deepEqual(sentTo, [s1], 'only the online subdevice is a target');
  const received = (): string[] => rig.bench.subdevices[0]!.received().map((p) => new TextDecoder().decode(p));
  await waitFor('the broadcast at sensor1', () => received().includes('{"notice":"maintenance at 02:00"}'), { timeoutMs: 30_000 });
  t.is(rig.bench.subdevices[1]!.received().length, 0);
});
