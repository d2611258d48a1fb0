import test from 'ava';
import { describeByteStreamContract } from '@iotgw/testkit';
import { createMemoryPipe, createThrottledPipe } from '../src/index.js';

// The simulated media keep the same ByteStream promises as a serial port or a GATT connection.
describeByteStreamContract(
  test,
  () => {
    const [stream, far] = createMemoryPipe();
    return Promise.resolve({ stream, far, vanish: () => far.close(), dispose: () => stream.close() });
  },
  { name: 'memory pipe' },
);

describeByteStreamContract(
  test,
  () => {
    // 1 Mbaud keeps the large-write clause quick in real time.
    const pipe = createThrottledPipe({ baudRate: 1_000_000, latencyMs: 1 });
    return Promise.resolve({ stream: pipe.a, far: pipe.b, vanish: () => pipe.b.close(), dispose: () => pipe.a.close() });
  },
  { name: 'throttled pipe' },
);
