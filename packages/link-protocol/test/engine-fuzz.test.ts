import test from 'ava';
import { GatewayEngine, ManualScheduler, SubdeviceEngine, encodeFrame, encodePacket, type Message } from '../src/index.js';
import { prng } from './prng.js';

// Valid frames with random field values: the engines must survive any well-formed nonsense too.
function randomMessage(rand: () => number): Message {
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => rand() & 0xff);
  const pick = rand() % 15;
  const revision = rand() % 2 ? 1 : 2 + (rand() % 3);
  switch (pick) {
    case 0:
      return {
        type: 'hello',
        productId: 'ABCDEFGHIJ',
        deviceName: `d${rand() % 4}`,
        firmwareVersion: `${rand() % 3}`,
        maxFrameSize: rand() & 0xffff,
        capabilities: rand() & 0xff,
        revision,
        features: rand() & 0xffff,
      };
    case 1:
      return { type: 'hello_ack', keepaliveIntervalMs: rand(), maxFrameSize: rand() & 0xffff, revision, features: rand() & 0xffff };
    case 11:
      return { type: 'hello_refused', reason: rand() & 0xff, retryAfterMs: rand() % 5000, message: 'no' };
    case 12:
      return { type: 'fw_cancel', reason: rand() & 0xff };
    case 13:
      return { type: 'fw_result_ack' };
    case 2:
      return { type: 'data', payload: bytes(rand() % 40) };
    case 3:
      return { type: 'fw_offer', version: 'x', size: rand() % 100_000, md5: bytes(16), chunkSize: rand() & 0xffff };
    case 4:
      return { type: 'fw_accept', resumeOffset: rand() };
    case 5:
      return { type: 'fw_chunk', offset: rand() % 1000, bytes: bytes(rand() % 64) };
    case 6:
      return { type: 'fw_ack', offset: rand() };
    case 7:
      return { type: 'fw_applying', percent: rand() % 101 };
    case 8:
      return { type: 'fw_result', ok: false, code: (rand() & 0x7fff) - 0x4000, message: 'x' };
    case 9:
      return { type: 'bye', reason: rand() & 0xff };
    case 10:
      return { type: 'fw_commit' };
    default:
      return { type: 'keepalive' };
  }
}

test('engine fuzz: 200,000 random, mutated and well-formed-but-wrong frames never throw', (t) => {
  const rand = prng(99);
  const scheduler = new ManualScheduler();
  let out = 0;
  const gateway = new GatewayEngine({ transmit: (b) => (out += b.length) }, { scheduler });
  const sub = new SubdeviceEngine(
    { transmit: (b) => (out += b.length), firmwareOffer: () => rand() % 1000, firmwareCommit: () => undefined },
    { address: 1, identity: { productId: 'ABCDEFGHIJ', deviceName: 's', firmwareVersion: '1' }, scheduler },
  );
  gateway.start();
  sub.start();
  const source = { version: 'v', size: 5000, md5: new Uint8Array(16), read: (o: number, l: number) => Promise.resolve(new Uint8Array(l)) };
  for (let n = 0; n < 200_000; n++) {
    const kind = rand() % 3;
    let bytes: Uint8Array;
    if (kind === 0) bytes = Uint8Array.from({ length: rand() % 30 }, () => (rand() % 4 === 0 ? 0 : rand() & 0xff));
    else if (kind === 1) bytes = encodeFrame({ address: rand() % 3, type: rand() & 0xff, seq: rand() & 0xffff, payload: Uint8Array.from({ length: rand() % 20 }, () => rand() & 0xff) });
    else {
      const direction = rand() % 2 ? 'from_subdevice' : 'to_subdevice';
      bytes = encodePacket({ address: 1 + (rand() % 2), direction, seq: rand() & 0xffff, message: randomMessage(rand) });
    }
    gateway.feed(bytes);
    sub.feed(bytes);
    if (n % 1000 === 0) {
      scheduler.advance(rand() % 2000);
      if (gateway.peer(1)) gateway.deliverFirmware(1, source).catch(() => undefined);
      gateway.sendData(1, Uint8Array.of(1)).catch(() => undefined);
    }
  }
  gateway.stop();
  sub.stop();
  t.true(out > 0);
});
