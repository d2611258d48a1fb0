// The rig's subdevice on a real socat pty, against a real link-protocol gateway engine that holds
// every DATA_ACK back: how many readings it has in flight at once (its `dataWindow`), and that they
// go in order and are all delivered once the acks come.
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteStream } from '@iotgw/domain';
import { SerialStreamProvider } from '@iotgw/adapters-serial';
import { GatewayEngine } from '@iotgw/link-protocol';
import { until } from '../src/rig/processes.js';
import { findSocat, SocatLink } from '../src/rig/socat-link.js';
import { SubdeviceHandle } from '../src/rig/subdevice-handle.js';
import type { Reading } from '../src/rig/subdevice-process.js';

const socat = findSocat();

for (const [window, label] of [
  [undefined, 'stop-and-wait by default: one reading in flight'],
  [8, 'dataWindow 8: the eight oldest readings in flight at once'],
] as const) {
  (socat ? test.serial : test.serial.skip)(`the rig's subdevice, ${label}; in order, and all acknowledged once the gateway acks`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'iotgw-chaos-sub-'));
    const link = new SocatLink(socat!, dir, 'sensor1');
    const port = new SerialStreamProvider({ path: link.gatewaySide, baudRate: 115200, reopenIntervalMs: 100 });
    let release = false;
    const held: Array<() => void> = [];
    const delivered: number[] = [];
    let stream: ByteStream | undefined;
    const engine = new GatewayEngine({
      transmit: (bytes) => stream?.write(bytes),
      data: (_peer, payload) => {
        delivered.push((JSON.parse(Buffer.from(payload).toString('utf8')) as Reading).seq);
        // Held back: the reading is not acknowledged until the test says so.
        return release ? undefined : new Promise<void>((resolve) => held.push(resolve));
      },
    });
    const sub = new SubdeviceHandle('P/sensor1', link, {
      productId: 'SUBPRODAAA',
      deviceName: 'sensor1',
      version: '1.0.0',
      ratePerSec: 50,
      ackedFile: join(dir, 'acked.txt'),
      ...(window !== undefined ? { dataWindow: window } : {}),
    });
    t.teardown(async () => {
      await sub.close();
      engine.stop();
      await port.close().catch(() => undefined);
      await link.close();
      await rm(dir, { recursive: true, force: true });
    });
    await link.start();
    port.on('stream', ({ stream: s }) => {
      stream = s;
      s.on('data', (bytes) => engine.feed(bytes));
      s.on('error', () => undefined);
    });
    await port.open({ timeoutMs: 10_000 });
    engine.start();
    sub.start();
    const expected = window ?? 1;
    // Long after the window filled: the subdevice measured 40 more readings and holds them.
    await until('the subdevice holding readings it may not send yet', async () => delivered.length >= expected && (await sub.state()).queued >= expected + 40, 20_000);
    t.deepEqual(delivered, Array.from({ length: expected }, (_, i) => i + 1), `exactly the ${expected} oldest in flight, none acknowledged`);
    release = true;
    for (const ack of held.splice(0)) ack();
    const state = await sub.stopProducing(20_000);
    t.is(state.queued, 0, 'everything measured was acknowledged');
    t.deepEqual(
      delivered.filter((seq, i) => delivered.indexOf(seq) === i),
      Array.from({ length: state.generated }, (_, i) => i + 1),
      'each reading reached the gateway, in the order measured',
    );
    const acked = (await readFile(join(dir, 'acked.txt'), 'utf8')).trim().split('\n');
    t.is(acked.length, state.generated);
  });
}
