import test from 'ava';
import { describeByteStreamContract } from '@iotgw/testkit';
import { SerialPortStream } from '../src/index.js';
import { SocatPair } from './socat.js';

// The ByteStream contract on a real pty pair: the gateway's port and the subdevice's port.
describeByteStreamContract(
  test,
  async () => {
    const pair = new SocatPair();
    await pair.start();
    const stream = await SerialPortStream.open(pair.a, 115_200);
    const far = await SerialPortStream.open(pair.b, 115_200);
    for (const s of [stream, far]) s.on('error', () => undefined);
    return {
      stream,
      far,
      vanish: () => pair.kill(),
      dispose: async () => {
        await stream.close();
        await far.close();
        await pair.dispose();
      },
    };
  },
  { name: 'SerialPortStream (socat pty)' },
);

test('SerialPortStream states its line rate: baud / 10 bytes per second (8N1)', async (t) => {
  const pair = new SocatPair();
  await pair.start();
  t.teardown(() => pair.dispose());
  const stream = await SerialPortStream.open(pair.a, 9600);
  t.teardown(() => stream.close());
  t.deepEqual(stream.capabilities, { bytesPerSecond: 960 });
});
