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

test('hostile RRPC traffic (bad process ids, empty, huge, binary payloads) never crashes the transport; valid requests still arrive', async (t) => {
  const { transport, hub } = await rig(t);
  const requests: string[] = [];
  transport.on('rrpcRequest', (r) => requests.push(r.processId));
  await transport.connect();
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const ids = ['1', '469', 'x'.repeat(32), 'a_b-c', '', 'x'.repeat(33), 'a b', '%', 'é'];
  for (let i = 0; i < 200; i++) {
    const id = ids[Math.floor(rand() * ids.length)]!;
    const size = [0, 1, 64, 4096, 200_000][Math.floor(rand() * 5)]!;
    const payload = Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
    await hub.publish(`$rrpc/rxd/SUBPRODAAA/sub-a/${id}`, payload, 0);
  }
  await hub.publish('$rrpc/rxd/SUBPRODAAA/sub-a/final', 'ok', 0);
  await until(() => requests.includes('final'), 10_000, 'the last valid request');
  t.true(requests.every((id) => /^[A-Za-z0-9_-]{1,32}$/.test(id)), 'only valid process ids are emitted');
  await transport.publishData(SUB_A, 'data', enc('still alive'));
  await until(() => hub.data.some((d) => d.payload.toString() === 'still alive'), 5000, 'a reading after it');
  t.is(transport.state, 'connected');
});
