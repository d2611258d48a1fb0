/* eslint-disable @typescript-eslint/require-await -- harnesses adapt the fakes' synchronous controls to async harness methods */
import test from 'ava';
import { subdeviceId, subdeviceKey } from '@iotgw/domain';
import {
  describeClockContract,
  describeFirmwareStoreContract,
  describeHubTransportContract,
  describeStateStoreContract,
  describeSubdeviceLinkContract,
  describeRequestCapableLinkContract,
  describeHubShadowContract,
  FakeFirmwareStore,
  FakeHub,
  ManualClock,
  MemoryStateStore,
  MemorySubdeviceLink,
  type HubTransportHarness,
} from '../src/index.js';

// Every fake passes the same suite a real adapter must pass: the fakes cannot lie.

describeClockContract(
  test,
  () => {
    const clock = new ManualClock();
    return { clock, pass: (ms) => clock.advance(ms) };
  },
  'ManualClock',
);

describeStateStoreContract(test, () => ({ store: new MemoryStateStore() }), 'MemoryStateStore');

describeHubTransportContract(
  test,
  () => {
    const hub = new FakeHub();
    const harness: HubTransportHarness = {
      transport: hub,
      knowSubdevice: async (sub, secret) => hub.addSubdevice(sub, secret),
      dropNextAnswer: async (op) => hub.dropNext(op),
      cutConnection: async () => hub.disconnect(),
      restoreConnection: async () => hub.reconnect(),
      dataReceived: async () => hub.published.map(({ subdevice, channel, payload }) => ({ subdevice, channel, payload })),
      reportsReceived: async () =>
        hub.reports.map((r) =>
          r.kind === 'version'
            ? { subdevice: r.subdevice, report: { state: 'version' as const, version: r.version } }
            : { subdevice: r.subdevice, report: r.report },
        ),
      pushDownlink: async (sub, channel, payload) => hub.pushDownlink(sub, channel, payload),
      pushFirmwareUpdate: async (sub, job) => hub.pushFirmwareUpdate(sub, job),
      pushRrpcRequest: async (sub, processId, payload) => hub.pushRrpcRequest(sub, processId, payload),
      pushBroadcast: async (sub, payload) => hub.pushBroadcast(sub, payload),
      rrpcRepliesReceived: async () => hub.rrpcReplies.map((r) => ({ ...r })),
      changeBinding: async (subs, bound) => hub.changeBinding(subs, bound),
      isOnlineAtHub: async (sub) => hub.isOnline(sub),
      deviceServices: {
        setRemoteConfig: async (config, enabled) => {
          hub.remoteConfig = config;
          hub.remoteConfigEnabled = enabled;
        },
        pushRemoteConfig: async (config) => hub.pushRemoteConfig(config),
        setLogLevel: async (level, push) => {
          if (push) hub.changeLogLevel(level);
          else hub.logLevel = level;
        },
        gatewayEventsReceived: async () => hub.gatewayEvents,
      },
      makeRefusedTransport: async () => {
        const refused = new FakeHub();
        refused.refuseCredentials = true;
        return refused;
      },
      dispose: () => hub.close(),
    };
    return Promise.resolve(harness);
  },
  { name: 'FakeHub' },
);

describeFirmwareStoreContract(
  test,
  () => {
    const store = new FakeFirmwareStore();
    return Promise.resolve({
      store,
      serve: async (name, bytes, version) => store.addImage(`https://firmware.test/${name}`, bytes, version),
      missingJob: async () => ({ version: '9.9.9', url: 'https://firmware.test/missing.bin', md5: '0'.repeat(32), size: 10 }),
      forbiddenJob: async () => {
        const job = store.addImage('https://firmware.test/expired.bin', new Uint8Array([1, 2, 3]));
        store.forbid(job.url);
        return job;
      },
      interruptNextAt: async (bytes) => store.interruptAt(bytes),
      transferStarts: async (job) => store.starts.filter((s) => s.url === job.url).map((s) => s.from),
      dispose: async () => undefined,
    });
  },
  { name: 'FakeFirmwareStore' },
);

describeSubdeviceLinkContract(
  test,
  () => {
    const link = new MemorySubdeviceLink();
    const subdevices = [subdeviceId('SUBPRODAAA', 'node-1'), subdeviceId('SUBPRODAAA', 'node-2')];
    const scripted = (sub: Parameters<MemorySubdeviceLink['subdevice']>[0]) => {
      const s = link.subdevice(sub);
      if (!s) throw new Error(`no scripted ${subdeviceKey(sub)}`);
      return s;
    };
    return Promise.resolve({
      link,
      subdevices,
      attach: async (sub, version) => void link.attach(sub, version),
      cut: async (sub) => link.detach(sub, 'link_lost'),
      sendFromSubdevice: async (sub, payload) => link.emitData(sub, payload),
      receivedBy: async (sub) => link.subdevice(sub)?.received ?? [],
      setFirmwareBehaviour: async (sub, behaviour) => link.setFirmwareBehaviour(sub, behaviour),
      firmwareReceived: async (sub) => scripted(sub).lastImage,
      dispose: () => link.stop(),
    });
  },
  { name: 'MemorySubdeviceLink' },
);

describeRequestCapableLinkContract(
  test,
  async () => {
    const link = new MemorySubdeviceLink();
    const subdevices = [subdeviceId('SUBPRODAAA', 'node-1'), subdeviceId('SUBPRODAAA', 'node-2')];
    return {
      link,
      subdevices,
      attach: async (sub, version) => void link.attach(sub, version),
      answerRequests: async (sub, answer, delayMs = 0) => {
        const s = link.subdevice(sub);
        if (!s) throw new Error(`no scripted ${subdeviceKey(sub)}`);
        s.requestHandler =
          answer === 'none' ? undefined : (p) => (delayMs > 0 ? new Promise((resolve) => setTimeout(() => resolve(answer(p)), delayMs)) : answer(p));
      },
      dispose: () => link.stop(),
    };
  },
  'MemorySubdeviceLink',
);

describeHubShadowContract(
  test,
  async () => {
    const subdevices = [subdeviceId('SUBPRODAAA', 'node-1'), subdeviceId('SUBPRODAAA', 'node-2')] as const;
    const hub = new FakeHub({ bound: [...subdevices] });
    return {
      transport: hub,
      subdevices,
      setDesired: async (sub, desired) => hub.setDesired(sub, desired),
      shadowAtHub: async (sub) => hub.shadows.document(sub),
      dispose: () => hub.close(),
    };
  },
  'FakeHub',
);
