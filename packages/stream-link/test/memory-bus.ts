import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { MemoryStreamProvider, SubdeviceSimulator, type PipeEnd, type SubdeviceSimulatorOptions } from '@iotgw/simulators';
import type { SubdeviceLinkHarness } from '@iotgw/testkit';
import { LinkProtocolSubdeviceLink, type LinkProtocolSubdeviceLinkOptions } from '../src/index.js';

export interface MemoryBus {
  readonly link: LinkProtocolSubdeviceLink;
  readonly provider: MemoryStreamProvider;
  /** The subdevices' end of the one cable (a bus). */
  readonly bus: PipeEnd;
  /** A simulated subdevice on the bus (not started). */
  simulator(options: Partial<SubdeviceSimulatorOptions> & { readonly subdevice: SubdeviceId }): SubdeviceSimulator;
  dispose(): Promise<void>;
}

/** A LinkProtocolSubdeviceLink on one in-memory cable, with simulated subdevices sharing it. */
export function memoryBus(options: Partial<LinkProtocolSubdeviceLinkOptions> = {}): MemoryBus {
  const provider = new MemoryStreamProvider('bus');
  const link = new LinkProtocolSubdeviceLink({ name: 'memory-bus', keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1000, ...options, provider });
  const bus = provider.plug();
  const sims: SubdeviceSimulator[] = [];
  return {
    link,
    provider,
    bus,
    simulator: ({ subdevice, ...rest }) => {
      const sim = new SubdeviceSimulator(bus, {
        productId: subdevice.productId,
        deviceName: subdevice.deviceName,
        firmwareVersion: '1.0.0',
        applyMs: 30,
        ...rest,
      });
      sims.push(sim);
      return sim;
    },
    dispose: async () => {
      for (const s of sims) s.stop();
      await link.stop();
    },
  };
}

/** The SubdeviceLink contract harness over a memory bus: subdevice i at address i + 1. */
export function contractHarness(subdevices: readonly SubdeviceId[], options: Partial<SubdeviceSimulatorOptions> = {}): SubdeviceLinkHarness {
  const b = memoryBus();
  const sims = new Map<string, SubdeviceSimulator>();
  const sim = (s: SubdeviceId): SubdeviceSimulator => {
    const found = sims.get(subdeviceKey(s));
    if (!found) throw new Error(`${subdeviceKey(s)} was never attached`);
    return found;
  };
  return {
    link: b.link,
    subdevices,
    attach(s, version) {
      const existing = sims.get(subdeviceKey(s));
      if (existing) existing.restart(version);
      else {
        const address = subdevices.findIndex((x) => subdeviceKey(x) === subdeviceKey(s)) + 1;
        const created = b.simulator({ subdevice: s, firmwareVersion: version, address, ...options });
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
    receivedBy: (s) => Promise.resolve([...(sims.get(subdeviceKey(s))?.received ?? [])]),
    setFirmwareBehaviour(s, behaviour) {
      sim(s).firmwareBehaviour = behaviour;
      return Promise.resolve();
    },
    firmwareReceived: (s) => Promise.resolve(sims.get(subdeviceKey(s))?.lastImage),
    dispose: () => b.dispose(),
  };
}
