import test from 'ava';
import { subdeviceId, subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import type { SubdeviceSimulator } from '@iotgw/simulators';
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
  const sims = new Map<string, SubdeviceSimulator>();
  const sim = (s: SubdeviceId): SubdeviceSimulator => {
    const found = sims.get(subdeviceKey(s));
    if (!found) throw new Error(`${subdeviceKey(s)} was never attached`);
    return found;
  };
  return {
    link,
    subdevices,
    attach(s, version) {
      const existing = sims.get(subdeviceKey(s));
      if (existing) existing.restart(version);
      else {
        const created = simulatorOn(port, {
          productId: s.productId,
          deviceName: s.deviceName,
          firmwareVersion: version,
          address: subdevices.findIndex((x) => subdeviceKey(x) === subdeviceKey(s)) + 1,
          applyMs: 100,
        });
        sims.set(subdeviceKey(s), created);
        created.start();
      }
      return Promise.resolve();
    },
    cut(s) {
      sim(s).stop();
      return Promise.resolve();
    },
    sendFromSubdevice: (s, payload) => sim(s).sendData(payload),
    receivedBy: (s) => Promise.resolve(sims.get(subdeviceKey(s))?.received ?? []),
    setFirmwareBehaviour(s, behaviour) {
      sim(s).firmwareBehaviour = behaviour;
      return Promise.resolve();
    },
    firmwareReceived: (s) => Promise.resolve(sims.get(subdeviceKey(s))?.lastImage),
    async dispose() {
      for (const s of sims.values()) s.stop();
      await link.stop();
      await closePort(port);
      await pair.dispose();
    },
  };
}

describeSubdeviceLinkContract(test, makeHarness, { name: 'SerialSubdeviceLink' });
