import test from 'ava';
import { Feature, LinkProtocolError } from '../src/index.js';
import { makeRig, runUntil, type Rig } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function connected(rig: Rig): Promise<void> {
  rig.gateway.start();
  for (const s of rig.subdevices) s.start();
  await runUntil(rig.scheduler, () => rig.subdevices.every((s) => s.state === 'connected'));
}

/** Runs virtual time until `p` settles, then returns it. */
async function drive<T>(rig: Rig, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await runUntil(rig.scheduler, () => done);
  return p;
}

function channelRig(announce: boolean): { rig: Rig; up: string[]; down: string[] } {
  const up: string[] = [];
  const down: string[] = [];
  const rig = makeRig({
    subdevice: { channels: announce },
    hooks: () => ({ data: (payload, channel) => down.push(`${channel}:${Buffer.from(payload).toString()}`) }),
    gatewayHooks: { data: (_peer, payload, channel) => void up.push(`${channel}:${Buffer.from(payload).toString()}`) },
  });
  return { rig, up, down };
}

test('channels: a subdevice announcing CHANNELS sends on event and receives on a custom channel, each acknowledged once', async (t) => {
  const { rig, up, down } = channelRig(true);
  await connected(rig);
  t.is(rig.gateway.peer(1)!.features & Feature.CHANNELS, Feature.CHANNELS);
  await drive(rig, rig.subdevices[0]!.sendData(bytes('{"alarm":1}'), 'event'));
  await drive(rig, rig.subdevices[0]!.sendData(bytes('{"t":1}')));
  t.deepEqual(up, ['event:{"alarm":1}', 'data:{"t":1}']);
  await drive(rig, rig.gateway.sendData(1, bytes('{"led":1}'), 'user/cmd'));
  t.deepEqual(down, ['user/cmd:{"led":1}']);
  rig.gateway.stop();
});

test('channels: a subdevice that does not announce CHANNELS gets only data; a channel downlink to it fails unsupported and sends nothing', async (t) => {
  const { rig, down } = channelRig(false);
  await connected(rig);
  t.is(rig.gateway.peer(1)!.features & Feature.CHANNELS, 0);
  const before = rig.log.length;
  const error = await t.throwsAsync(rig.gateway.sendData(1, bytes('{"led":1}'), 'control'));
  t.true(error instanceof LinkProtocolError && error.reason === 'unsupported', String(error));
  t.regex(error.message, /CHANNELS/);
  t.false(rig.log.slice(before).some((e) => e.from === 'G' && e.message.type === 'channel_data'));
  await drive(rig, rig.gateway.sendData(1, bytes('{"led":0}')));
  t.deepEqual(down, ['data:{"led":0}']);
  const refused = await t.throwsAsync(rig.subdevices[0]!.sendData(bytes('x'), 'event'));
  t.true(refused instanceof LinkProtocolError && refused.reason === 'unsupported');
  rig.gateway.stop();
});

test('channels: a gateway that does not agree to CHANNELS keeps a subdevice announcing it on data only', async (t) => {
  const up: string[] = [];
  const rig = makeRig({ subdevice: { channels: true }, gateway: { features: Feature.REQUESTS }, gatewayHooks: { data: (_p, payload, channel) => void up.push(`${channel}:${Buffer.from(payload).toString()}`) } });
  await connected(rig);
  t.is(rig.subdevices[0]!.agreedFeatures & Feature.CHANNELS, 0);
  await t.throwsAsync(rig.subdevices[0]!.sendData(bytes('x'), 'event'));
  await drive(rig, rig.subdevices[0]!.sendData(bytes('y')));
  t.deepEqual(up, ['data:y']);
  rig.gateway.stop();
});
