import type { ExecutionContext } from 'ava';
import type { SubdeviceSimulator } from '@iotgw/simulators';
import { SerialSubdeviceLink, type SerialSubdeviceLinkOptions } from '../src/index.js';
import { closePort, openPort } from './sim-port.js';
import { SocatPair } from './socat.js';

/** A started link on one end of a socat pty pair, the subdevices' port on the other; all torn down after the test. */
export async function ptyRig(t: ExecutionContext, options: Partial<SerialSubdeviceLinkOptions> = {}) {
  const pair = new SocatPair();
  await pair.start();
  const link = new SerialSubdeviceLink({ path: pair.a, keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1200, reopenIntervalMs: 100, ...options });
  const port = await openPort(pair.b);
  const sims: SubdeviceSimulator[] = [];
  t.teardown(async () => {
    for (const s of sims) s.stop();
    await link.stop();
    await closePort(port);
    await pair.dispose();
  });
  await link.start({ timeoutMs: 5000 });
  return { pair, link, port, sims };
}
