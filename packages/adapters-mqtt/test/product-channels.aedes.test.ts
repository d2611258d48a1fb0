import test from 'ava';
import { ValidationError, subdeviceKey } from '@iotgw/domain';
import { SUB_A, SUB_B, SUB_C, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('product channels: a product\'s declared subscribe channels are followed for its online subdevices only, and their downlink carries the channel', async (t) => {
  const { transport, hub, broker } = await rig(t, { productChannels: { SUBPRODAAA: { publish: ['user/alarm'], subscribe: ['control', 'user/cmd'] } } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  hub.bound.add('SUBPRODCCC/sub_c');
  await transport.online([SUB_A, SUB_C]);
  const topicsOf = (prefix: string): string[] => broker.subscribed.filter((s) => s.clientId === 'GWPRODUCT1gw1' && s.topic.startsWith(prefix)).map((s) => s.topic).sort();
  t.deepEqual(topicsOf('SUBPRODAAA/'), ['SUBPRODAAA/sub-a/control', 'SUBPRODAAA/sub-a/data', 'SUBPRODAAA/sub-a/user/cmd']);
  t.deepEqual(topicsOf('SUBPRODCCC/'), ['SUBPRODCCC/sub_c/data'], 'another product follows only data');
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(`${subdeviceKey(d.subdevice)} ${d.channel} ${Buffer.from(d.payload).toString()}`));
  await hub.pushDownlink(SUB_A, 'user/cmd', Buffer.from('{"led":1}'));
  await until(() => downlinks.length === 1);
  t.deepEqual(downlinks, ['SUBPRODAAA/sub-a user/cmd {"led":1}']);
});

test('product channels: uplink goes on data, event and declared publish channels; an undeclared channel is refused before the wire, naming the config field', async (t) => {
  const { transport, hub } = await rig(t, { productChannels: { SUBPRODAAA: { publish: ['user/alarm'], subscribe: [] } } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  hub.bound.add('SUBPRODCCC/sub_c');
  await transport.online([SUB_A, SUB_C]);
  await transport.publishData(SUB_A, 'user/alarm', enc('a'));
  await transport.publishData(SUB_A, 'event', enc('e'));
  const error = await t.throwsAsync(transport.publishData(SUB_A, 'user/other', enc('x')), { instanceOf: ValidationError });
  t.regex(error.message, /channel "user\/other" is not declared for product SUBPRODAAA .*channels\.SUBPRODAAA\.publish/);
  await t.throwsAsync(transport.publishData(SUB_C, 'user/alarm', enc('x')), { instanceOf: ValidationError }, 'declared for another product only');
  await transport.publishData(SUB_A, 'data', enc('d'));
  await until(() => hub.data.length === 3);
  t.deepEqual(hub.data.map((d) => `${d.channel} ${d.payload.toString()}`), ['user/alarm a', 'event e', 'data d']);
  t.is(transport.state, 'connected');
});

test('product channels: a new declaration is taken on the same connection: added subscribe channels followed for online subdevices, dropped ones let go, publish refusals by the new list, readings in flight all delivered', async (t) => {
  const { transport, hub, broker } = await rig(t, { productChannels: { SUBPRODAAA: { publish: ['user/alarm'], subscribe: ['user/cmd'] } } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  hub.bound.add('SUBPRODAAA/sub-b');
  hub.bound.add('SUBPRODCCC/sub_c');
  await transport.online([SUB_A, SUB_C]);
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(`${subdeviceKey(d.subdevice)} ${d.channel} ${Buffer.from(d.payload).toString()}`));
  const reconnects: number[] = [];
  transport.on('reconnected', ({ attempt }) => reconnects.push(attempt));

  // Readings accepted before the change and still on their way are not lost by it.
  const inFlight = Array.from({ length: 20 }, (_, i) => transport.publishData(SUB_A, 'data', enc(`r${i}`)));
  const subscribedBefore = broker.subscribed.length;
  await transport.declareChannels({
    dataChannels: ['data'],
    productChannels: { SUBPRODAAA: { publish: ['user/new'], subscribe: ['user/ctl'] }, SUBPRODCCC: { publish: [], subscribe: ['user/ctl'] } },
  });
  await Promise.all(inFlight);
  await until(() => hub.data.length === 20);
  t.deepEqual(hub.data.map((d) => d.payload.toString()), Array.from({ length: 20 }, (_, i) => `r${i}`));

  const mine = (list: ReadonlyArray<{ clientId: string; topic: string }>): string[] => list.filter((s) => s.clientId === 'GWPRODUCT1gw1').map((s) => s.topic).sort();
  t.deepEqual(mine(broker.subscribed.slice(subscribedBefore)), ['SUBPRODAAA/sub-a/user/ctl', 'SUBPRODCCC/sub_c/user/ctl']);
  t.deepEqual(mine(broker.unsubscribed), ['SUBPRODAAA/sub-a/user/cmd']);

  await hub.pushDownlink(SUB_A, 'user/cmd', Buffer.from('dropped'));
  await hub.pushDownlink(SUB_C, 'user/ctl', Buffer.from('{"led":1}'));
  await hub.pushDownlink(SUB_A, 'user/ctl', Buffer.from('{"led":2}'));
  await until(() => downlinks.length >= 2);
  t.deepEqual(downlinks.sort(), ['SUBPRODAAA/sub-a user/ctl {"led":2}', 'SUBPRODCCC/sub_c user/ctl {"led":1}']);

  await transport.publishData(SUB_A, 'user/new', enc('n'));
  await t.throwsAsync(transport.publishData(SUB_A, 'user/alarm', enc('x')), { instanceOf: ValidationError, message: /channel "user\/alarm" is not declared for product SUBPRODAAA/ });
  const uplinks = (): string[] => broker.published.filter((p) => p.clientId === 'GWPRODUCT1gw1' && p.topic.startsWith('SUBPRODAAA/sub-a/')).map((p) => p.topic);
  await until(() => uplinks().length === 21);
  t.is(uplinks()[20], 'SUBPRODAAA/sub-a/user/new');

  // A subdevice coming online later follows the new declaration.
  const before = broker.subscribed.length;
  await transport.online([SUB_B]);
  const subB = broker.subscribed.slice(before).filter((s) => s.topic.startsWith('SUBPRODAAA/sub-b/') && !s.topic.includes('$')).map((s) => s.topic).sort();
  t.deepEqual(subB, ['SUBPRODAAA/sub-b/data', 'SUBPRODAAA/sub-b/user/ctl']);

  t.deepEqual(broker.connected.filter((id) => id === 'GWPRODUCT1gw1'), ['GWPRODUCT1gw1'], 'one connection throughout');
  t.deepEqual(reconnects, []);
  t.is(transport.state, 'connected');
});

test('product channels: a declaration taken while disconnected is what the next online subscribes', async (t) => {
  const { transport, hub, broker } = await rig(t, { productChannels: { SUBPRODAAA: { publish: [], subscribe: ['user/cmd'] } } });
  await transport.declareChannels({ dataChannels: ['data'], productChannels: { SUBPRODAAA: { publish: [], subscribe: ['user/ctl'] } } });
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const topics = broker.subscribed.filter((s) => s.topic.startsWith('SUBPRODAAA/sub-a/')).map((s) => s.topic).sort();
  t.deepEqual(topics, ['SUBPRODAAA/sub-a/data', 'SUBPRODAAA/sub-a/user/ctl']);
});
