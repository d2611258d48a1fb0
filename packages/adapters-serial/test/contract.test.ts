import test from 'ava';
import { subdeviceId, subdeviceKey } from '@iotgw/domain';
import { SimulatorSet } from '@iotgw/simulators';
import { describeSubdeviceLinkContract, type SubdeviceLinkHarness } from '@iotgw/testkit';
import { SerialSubdeviceLink } from '../src/index.js';
import { closePort, openPort, simulatorOn } from './sim-port.js';
import { SocatPair } from './socat.js';

// The port contract every SubdeviceLink passes, here over a real socat pty pair with simulated
// subdevices (addresses 1 and 2) on the far end.
async function makeHarness(): Promise<SubdeviceLinkHarness> {
  const pair = new SocatPair();
  await pair.start();
  const link = new SerialSubdeviceLink({ path: pair.a, keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1200, reopenIntervalMs: 100 });
  const port = await openPort(pair.b);
  const subdevices = [subdeviceId('ABCDEFGHIJ', 'sub1'), subdeviceId('ABCDEFGHIJ', 'sub2')];
  const sims = new SimulatorSet((s, version) =>
    simulatorOn(port, {
      productId: s.productId,
      deviceName: s.deviceName,
      firmwareVersion: version,
      address: subdevices.findIndex((x) => subdeviceKey(x) === subdeviceKey(s)) + 1,
      applyMs: 100,
    }),
  );
  return {
    link,
    subdevices,
    ...sims.controls(),
    async dispose() {
      sims.stopAll();
      await link.stop();
      await closePort(port);
      await pair.dispose();
    },
  };
}

describeSubdeviceLinkContract(test, makeHarness, { name: 'SerialSubdeviceLink' });
