import test from 'ava';
import { FrameDecoder, GatewayEngine, ManualScheduler, SubdeviceEngine, packetOf } from '../src/index.js';
import { makeImage, runUntil, sourceOf } from './harness.js';

test('CRC-16 framing with a small MCU frame size: chunks respect the subdevice limit and the image arrives', async (t) => {
  const scheduler = new ManualScheduler();
  const framing = { crc: 'crc16' as const, maxFrameSize: 96 };
  const spy = new FrameDecoder({ crc: 'crc16', maxFrameSize: 2000 });
  let largestChunkFrame = 0;
  const received = new Uint8Array(4000);
  // The gateway is built first, so it reaches the subdevice through this holder.
  const far: { sub?: SubdeviceEngine } = {};
  const gateway = new GatewayEngine(
    {
      transmit: (b) => {
        for (const f of spy.push(b)) {
          const p = packetOf(f);
          if (p?.message.type === 'fw_chunk') largestChunkFrame = Math.max(largestChunkFrame, 5 + f.payload.length + 2);
        }
        scheduler.setTimer(1, () => far.sub?.feed(b));
      },
    },
    { scheduler, framing },
  );
  const sub: SubdeviceEngine = new SubdeviceEngine(
    {
      transmit: (b) => scheduler.setTimer(1, () => gateway.feed(b)),
      firmwareOffer: () => 0,
      firmwareChunk: (offset, bytes) => received.set(bytes, offset),
      firmwareCommit: (offer) => sub.reportResult({ ok: true, version: offer.version }),
    },
    { address: 7, identity: { productId: 'ABCDEFGHIJ', deviceName: 'tiny', firmwareVersion: '0.1' }, scheduler, framing },
  );
  far.sub = sub;
  gateway.start();
  sub.start();
  t.true(await runUntil(scheduler, () => sub.state === 'connected'));
  t.is(gateway.maxPayload(7), 96 - 5 - 2);
  const image = makeImage(4000, 11);
  let outcome: unknown;
  void gateway.deliverFirmware(7, sourceOf(image, '0.2')).then((o) => (outcome = o));
  t.true(await runUntil(scheduler, () => outcome !== undefined));
  t.deepEqual(outcome, { ok: true, version: '0.2' });
  t.deepEqual(Buffer.from(received), Buffer.from(image));
  t.true(largestChunkFrame <= 96, `largest chunk frame ${largestChunkFrame}`);
  t.true(largestChunkFrame >= 90);
  gateway.stop();
  sub.stop();
});
