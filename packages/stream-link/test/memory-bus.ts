import { subdeviceKey, type SubdeviceId } from '@iotgw/domain';
import { MemoryStreamProvider, SimulatorSet, SubdeviceSimulator, type PipeEnd, type SubdeviceSimulatorOptions } from '@iotgw/simulators';
import type { RequestCapableLinkHarness, SubdeviceLinkHarness } from '@iotgw/testkit';
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
  const sims = new SimulatorSet((subdevice, version) =>
    b.simulator({ subdevice, firmwareVersion: version, address: subdevices.findIndex((x) => subdeviceKey(x) === subdeviceKey(subdevice)) + 1, ...options }),
  );
  return {
    link: b.link,
    subdevices,
    ...sims.controls(),
    dispose: () => b.dispose(),
  };
}

/** The RequestCapableLink contract harness: the same bus; a change of what a subdevice announces waits for its re-attach. */
export function requestHarness(subdevices: readonly SubdeviceId[]): RequestCapableLinkHarness {
  const b = memoryBus();
  const sims = new SimulatorSet((subdevice, version) =>
    b.simulator({ subdevice, firmwareVersion: version, address: subdevices.findIndex((x) => subdeviceKey(x) === subdeviceKey(subdevice)) + 1 }),
  );
  return {
    link: b.link,
    subdevices,
    attach: (s, version) => sims.attach(s, version),
    answerRequests: async (s, answer, delayMs) => {
      const reannounce = (sims.get(s).requestHandler !== undefined) !== (answer !== 'none');
      const back = reannounce
        ? new Promise<void>((resolve) => {
            const sub = b.link.on('attached', (a) => {
              if (subdeviceKey(a.subdevice) !== subdeviceKey(s)) return;
              sub.close();
              resolve();
            });
          })
        : Promise.resolve();
      await sims.answerRequests(s, answer, delayMs);
      await back;
    },
    dispose: () => b.dispose(),
  };
}
