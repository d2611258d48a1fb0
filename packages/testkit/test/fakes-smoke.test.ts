import test from 'ava';
import { subdeviceId, CancelledError } from '@iotgw/domain';
import { FakeHub, ManualClock, MemorySubdeviceLink, FakeFirmwareStore } from '../src/index.js';

const sub = subdeviceId('ABCDEFGHIJ', 'sub1');

test('FakeHub binds a known subdevice, then brings it online', async (t) => {
  const hub = new FakeHub({ subdevices: [{ subdevice: sub, secret: 's3cret' }] });
  await hub.connect();
  t.deepEqual((await hub.online([sub])).map((r) => r.hubCode), [-1]);
  t.deepEqual((await hub.bind([{ subdevice: sub, secret: 's3cret' }])).map((r) => r.hubCode), [0]);
  t.deepEqual((await hub.online([sub])).map((r) => r.hubCode), [0]);
  t.true(hub.isOnline(sub));
  await hub.close();
});

test('ManualClock wakes sleepers on advance and cancels on abort', async (t) => {
  const clock = new ManualClock(0);
  const woke: number[] = [];
  const p = clock.sleep(100).then(() => woke.push(clock.now()));
  await clock.advance(99);
  t.deepEqual(woke, []);
  await clock.advance(1);
  await p;
  t.deepEqual(woke, [100]);
  const ac = new AbortController();
  const s = clock.sleep(10, ac.signal);
  ac.abort();
  await t.throwsAsync(s, { instanceOf: CancelledError });
});

test('firmware store + link deliver an image end to end', async (t) => {
  const store = new FakeFirmwareStore();
  const job = store.addImage('https://fw.example/a.bin', new Uint8Array(5000).fill(7), '2.0.0');
  const image = await store.obtain(job);
  const link = new MemorySubdeviceLink();
  await link.start();
  link.attach(sub, '1.0.0');
  const result = await link.deliverFirmware(sub, image);
  t.deepEqual(result, { ok: true, version: '2.0.0' });
  t.is(link.attachedSubdevices()[0]?.firmwareVersion, '2.0.0');
});
