import test from 'ava';
import { ValidationError, subdeviceKey } from '@iotgw/domain';
import { SUB_A, SUB_C, rig, until } from './helpers/setup.js';

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
