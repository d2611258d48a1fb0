import test from 'ava';
import type { GatewayError } from '@iotgw/domain';
import { PacketSizeGuard } from '../src/index.js';
import { SUB_A, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('the packet-size guard spots an oversized packet from its header, across chunk boundaries', (t) => {
  const guard = new PacketSizeGuard(1000);
  // PUBACK (4 bytes), then a PUBLISH announcing 2,000,000 bytes with its length split over two chunks.
  t.is(guard.feed(Buffer.from([0x40, 0x02, 0x00, 0x01])), undefined);
  t.is(guard.feed(Buffer.from([0x30, 0x80])), undefined);
  t.is(guard.feed(Buffer.from([0x89, 0x7a])), 2_000_000 + 4);
  const small = new PacketSizeGuard(1000);
  const body = Buffer.alloc(500, 7);
  t.is(small.feed(Buffer.concat([Buffer.from([0x30, 0xf4, 0x03]), body])), undefined, 'a 500-byte packet passes');
  t.is(small.feed(Buffer.from([0xc0, 0x00])), undefined, 'the next packet header is found after the body');
});

test('a message over maxPacketBytes cuts the connection before its body is held, is reported, and readings flow again', async (t) => {
  const { makeTransport, hub, broker } = await rig(t);
  const transport = makeTransport({ maxPacketBytes: 64 * 1024 });
  const errors: GatewayError[] = [];
  transport.on('error', (e) => errors.push(e));
  const downlinks: number[] = [];
  transport.on('downlink', (d) => downlinks.push(d.payload.byteLength));
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const before = process.memoryUsage().rss;
  await hub.pushDownlink(SUB_A, 'data', Buffer.alloc(20 * 1024 * 1024, 0x41));
  await until(() => errors.some((e) => e.code === 'hub.protocol'), 10_000, 'the oversized packet reported');
  t.regex(errors.find((e) => e.code === 'hub.protocol')?.message ?? '', /over maxPacketBytes 65536/);
  await until(() => transport.state === 'connected', 10_000, 'reconnected');
  await transport.online([SUB_A]);
  await transport.publishData(SUB_A, 'data', enc('after'));
  await until(() => hub.data.some((d) => d.payload.toString() === 'after'), 5000, 'a reading after it');
  t.deepEqual(downlinks, [], 'the oversized message never reached the application');
  t.log(`rss ${((process.memoryUsage().rss - before) / 1e6).toFixed(1)} MB over the 20 MB message (broker in this process)`);
  t.true(broker.published.length > 0);
});
