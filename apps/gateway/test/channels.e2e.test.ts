import 'reflect-metadata';
import test from 'ava';
import { SubdeviceSessions, type Gateway } from '@iotgw/app';
import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { waitFor } from '../src/demo/wait-for.js';
import { SENSOR1, SENSOR2, startRig, type Rig } from './helpers/rig.js';

// Topic channels both ways, end to end: emulator ⇄ MQTT ⇄ gateway ⇄ serial link over a real
// socat pty ⇄ simulated subdevice. Product SB00000001 declares user/alarm (up) and user/cmd (down)
// in the gateway's config and in the hub's topic list.

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function online(rig: Rig, gateway: Gateway, index: number, id: SubdeviceId): Promise<void> {
  rig.bench.subdevices[index]!.powerOn();
  const sessions = gateway.container.resolve(SubdeviceSessions);
  await waitFor(`${subdeviceKey(id)} online with its topics subscribed`, () => sessions.stateOf(id) === 'online', { timeoutMs: 20_000 });
}

const upAt = (rig: Rig, topic: string): string[] => rig.hub.core.messages.filter((m) => m.direction === 'up' && m.topic === topic).map((m) => m.payload);

async function channelRig(t: Parameters<typeof startRig>[0]): Promise<{ rig: Rig; gateway: Gateway }> {
  const rig = await startRig(t, {
    bindings: [SENSOR1, SENSOR2],
    channels: { SB00000001: { publish: ['user/alarm'], subscribe: ['user/cmd'] } },
    productTopics: { SB00000001: ['user/alarm', 'user/cmd'] },
  });
  return { rig, gateway: await rig.startGateway() };
}

test.serial('channels: an event reading reaches {pid}/{dev}/event and a declared custom one its topic; a downlink on a custom channel reaches the subdevice with its channel', async (t) => {
  const { rig, gateway } = await channelRig(t);
  await online(rig, gateway, 0, SENSOR1);
  const sim = rig.bench.subdevices[0]!.simulator;
  await sim.sendData(bytes('{"alarm":1}'), { channel: 'event' });
  await sim.sendData(bytes('{"level":"high"}'), { channel: 'user/alarm' });
  await sim.sendData(bytes('{"t":21}'));
  await waitFor('the readings at the hub', () => upAt(rig, 'SB00000001/sensor1/data').includes('{"t":21}'), { timeoutMs: 30_000 });
  t.deepEqual(upAt(rig, 'SB00000001/sensor1/event'), ['{"alarm":1}']);
  t.deepEqual(upAt(rig, 'SB00000001/sensor1/user/alarm'), ['{"level":"high"}']);

  await rig.hub.core.sendData('SB00000001/sensor1', '{"led":1}', 'user/cmd');
  await rig.hub.core.sendData('SB00000001/sensor1', '{"led":0}');
  await waitFor('both downlinks at sensor1', () => sim.received.length >= 2, { timeoutMs: 30_000 });
  t.deepEqual(sim.received.map((p, i) => `${sim.receivedChannels[i]} ${text(p)}`), ['user/cmd {"led":1}', 'data {"led":0}']);
  t.is(rig.hub.stats.aclDenials, 0);
});

test.serial('channels: a reading on an undeclared channel is refused (never published, not acknowledged) and the gateway stays connected', async (t) => {
  const { rig, gateway } = await channelRig(t);
  await online(rig, gateway, 0, SENSOR1);
  const sim = rig.bench.subdevices[0]!.simulator;
  // Without a DATA_ACK the subdevice retransmits, then gives up on that frame (it keeps the reading).
  await t.throwsAsync(sim.sendData(bytes('{"x":1}'), { channel: 'user/undeclared' }));
  await sim.sendData(bytes('{"t":22}'));
  await waitFor('the next reading at the hub', () => upAt(rig, 'SB00000001/sensor1/data').includes('{"t":22}'), { timeoutMs: 30_000 });
  t.deepEqual(upAt(rig, 'SB00000001/sensor1/user/undeclared'), []);
  t.is(rig.hub.stats.aclDenials, 0, 'nothing reached the hub on a topic outside the product\'s list');
  t.is(gateway.hub.state, 'connected');
});

test.serial('channels: an old subdevice (no CHANNELS) keeps working as before: its data goes to data, it gets data downlinks only', async (t) => {
  const { rig, gateway } = await channelRig(t);
  const old = rig.bench.subdevices[1]!.simulator;
  old.announceChannels = false;
  await online(rig, gateway, 1, SENSOR2);
  await t.throwsAsync(old.sendData(bytes('x'), { channel: 'event' }), { message: /did not agree to the CHANNELS feature/ });
  await old.sendData(bytes('{"t":5}'));
  await waitFor('its reading on data', () => upAt(rig, 'SB00000001/sensor2/data').includes('{"t":5}'), { timeoutMs: 30_000 });

  await rig.hub.core.sendData('SB00000001/sensor2', '{"led":1}', 'user/cmd');
  await waitFor('the custom-channel downlink dropped, counted', () => gateway.service.forwarding.downlinkDropped.send_failed === 1, { timeoutMs: 30_000 });
  await rig.hub.core.sendData('SB00000001/sensor2', '{"led":0}');
  await waitFor('the data downlink at sensor2', () => old.received.length >= 1, { timeoutMs: 30_000 });
  t.deepEqual(old.received.map((p, i) => `${old.receivedChannels[i]} ${text(p)}`), ['data {"led":0}'], 'never another channel passed off as data');
});
