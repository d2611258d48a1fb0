import test from 'ava';
import type { GatewayError } from '@iotgw/domain';
import { DROPPED_MESSAGE_TOPIC, OversizePublishFilter, type DroppedMessage } from '../src/index.js';
import { SUB_A, rig, until } from './helpers/setup.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A PUBLISH as a hub sends it (MQTT 3.1.1), with a 4-byte remaining length to span chunk boundaries. */
function publish(topic: string, payload: Buffer, qos: 0 | 1, packetId = 7): Buffer {
  const t = Buffer.from(topic);
  const variable = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, qos ? Buffer.from([packetId >> 8, packetId & 0xff]) : Buffer.alloc(0)]);
  let length = variable.length + payload.length;
  const lengthBytes: number[] = [];
  do {
    let b = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) b |= 0x80;
    lengthBytes.push(b);
  } while (length > 0);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1), ...lengthBytes]), variable, payload]);
}

function feedInPieces(filter: OversizePublishFilter, bytes: Buffer, piece: number): { out: Buffer; cut?: string } {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += piece) {
    const r = filter.feed(bytes.subarray(at, at + piece));
    if ('cut' in r) return { out: Buffer.concat(out), cut: r.cut };
    out.push(...r.pass);
  }
  return { out: Buffer.concat(out) };
}

test('the oversize filter passes small packets byte for byte and puts an empty PUBLISH with the same packet id in place of a big one, whatever the chunking', (t) => {
  const small = publish('P/d/data', Buffer.from('hello'), 1, 1);
  const big = publish('P/d/data', Buffer.alloc(5000, 0x41), 1, 0x1234);
  const ping = Buffer.from([0xd0, 0x00]);
  const stream = Buffer.concat([small, big, ping, small]);
  const replacement = publish(DROPPED_MESSAGE_TOPIC, Buffer.alloc(0), 1, 0x1234);
  for (const piece of [1, 2, 3, 5, 7, 64, 100_000]) {
    const dropped: DroppedMessage[] = [];
    const filter = new OversizePublishFilter(1000, (m) => dropped.push(m));
    const { out, cut } = feedInPieces(filter, stream, piece);
    t.is(cut, undefined);
    t.deepEqual(out, Buffer.concat([small, replacement, ping, small]), `chunks of ${piece}`);
    t.deepEqual(dropped, [{ topic: 'P/d/data', bytes: big.length }]);
  }
  // Big ones first and last, back to back, QoS 0 (no packet id) among them.
  const big0 = publish('P/d/data', Buffer.alloc(3000, 0x42), 0);
  const edges = Buffer.concat([big, big0, small, ping, big]);
  for (const piece of [1, 2, 4, 6, 100, 100_000]) {
    const filter = new OversizePublishFilter(1000, () => undefined);
    const { out, cut } = feedInPieces(filter, edges, piece);
    t.is(cut, undefined);
    t.deepEqual(out, Buffer.concat([replacement, publish(DROPPED_MESSAGE_TOPIC, Buffer.alloc(0), 0), small, ping, replacement]), `edges, chunks of ${piece}`);
  }
});

test('the oversize filter keeps QoS 0 flags, and cuts only what it cannot skip: a big non-PUBLISH, a malformed length, a PUBLISH shorter than its topic', (t) => {
  const filter = new OversizePublishFilter(100, () => undefined);
  const r = filter.feed(publish('t', Buffer.alloc(200), 0));
  t.deepEqual('pass' in r ? Buffer.concat(r.pass) : undefined, publish(DROPPED_MESSAGE_TOPIC, Buffer.alloc(0), 0));
  t.regex(JSON.stringify(new OversizePublishFilter(100, () => undefined).feed(Buffer.from([0x90, 0xc8, 0x01]))), /type 9 and 203 bytes, over maxPacketBytes 100/);
  t.regex(JSON.stringify(new OversizePublishFilter(100, () => undefined).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))), /malformed length/);
  // Remaining length 130, topic length 0xffff: the topic cannot fit.
  t.regex(JSON.stringify(new OversizePublishFilter(100, () => undefined).feed(Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0xff, 0xff]), Buffer.alloc(128)]))), /shorter than its own topic/);
});

test('a message over maxPacketBytes is dropped unread and reported; the connection is kept and the next message and readings flow', async (t) => {
  const { makeTransport, hub, broker } = await rig(t);
  const transport = makeTransport({ maxPacketBytes: 64 * 1024 });
  const errors: GatewayError[] = [];
  transport.on('error', (e) => errors.push(e));
  const downlinks: string[] = [];
  transport.on('downlink', (d) => downlinks.push(d.payload.byteLength > 100 ? `${d.payload.byteLength} bytes` : Buffer.from(d.payload).toString()));
  await transport.connect();
  const states: string[] = [];
  transport.on('state', (s) => states.push(s));
  hub.bound.add('SUBPRODAAA/sub-a');
  await transport.online([SUB_A]);
  const before = process.memoryUsage().rss;
  await hub.publish(`SUBPRODAAA/sub-a/data`, Buffer.alloc(20 * 1024 * 1024, 0x41), 1);
  await hub.publish(`SUBPRODAAA/sub-a/data`, Buffer.from('next'), 1);
  await until(() => downlinks.includes('next'), 20_000, 'the message after the oversized one');
  t.deepEqual(downlinks, ['next'], 'the oversized message never reached the application');
  const reported = errors.filter((e) => e.code === 'hub.protocol');
  t.is(reported.length, 1);
  t.regex(reported[0]?.message ?? '', /message of 20971\d+ bytes on SUBPRODAAA\/sub-a\/data, over maxPacketBytes 65536: dropped unread/);
  await transport.publishData(SUB_A, 'data', enc('after'));
  await until(() => hub.data.some((d) => d.payload.toString() === 'after'), 5000, 'a reading after it');
  t.is(transport.state, 'connected');
  t.deepEqual(states, [], 'never disconnected');
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
