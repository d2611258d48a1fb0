import test from 'ava';
import { subdeviceKey } from '@iotgw/domain';
import { describeHubTransportContract, type HubTransportHarness } from '@iotgw/testkit';
import { broadcastTopic, parseTopic, rrpcRequestTopic } from '@iotgw/protocol-tencent';
import { MqttHubTransport } from '../src/index.js';
import { TestBroker } from './helpers/aedes-broker.js';
import { HubResponder } from './helpers/hub-responder.js';
import { GW, GW_SECRET, until } from './helpers/setup.js';

/** The shared HubTransport contract, against a real aedes broker and the protocol-tencent responder. */
async function makeHarness(): Promise<HubTransportHarness> {
  const broker = new TestBroker(new Map([[`${GW.productId}${GW.deviceName}`, GW_SECRET]]));
  await broker.start();
  const hub = new HubResponder(GW, broker.port);
  await hub.start();
  const made: MqttHubTransport[] = [];
  const make = (deviceSecret: string): MqttHubTransport => {
    const transport = new MqttHubTransport({
      gateway: GW,
      auth: { mode: 'KEY', deviceSecret },
      host: '127.0.0.1',
      port: broker.port,
      tls: false,
      dataChannels: ['data', 'event', 'control'],
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    });
    made.push(transport);
    return transport;
  };
  const transport = make(GW_SECRET);
  return {
    transport,
    knowSubdevice: (subdevice, secret) => {
      hub.secrets.set(subdeviceKey(subdevice), secret);
      return Promise.resolve();
    },
    dropNextAnswer: (op) => {
      hub.dropNext.add(op);
      return Promise.resolve();
    },
    cutConnection: async () => {
      await broker.stop();
      await until(() => transport.state !== 'connected', 5000, 'the transport to notice');
    },
    restoreConnection: async () => {
      const ready = hub.ready;
      await broker.start(broker.port);
      await until(() => hub.ready > ready, 5000, 'the responder to be back');
    },
    dataReceived: () =>
      Promise.resolve(
        broker.published.flatMap((p) => {
        const topic = parseTopic(p.topic);
        if (p.clientId !== `${GW.productId}${GW.deviceName}` || topic?.kind !== 'data') return [];
        return [{ subdevice: topic.device, channel: topic.channel, payload: new Uint8Array(p.payload) }];
      }),
      ),
    reportsReceived: () =>
      Promise.resolve(
        hub.reports.map((r) => ({
          subdevice: r.subdevice,
          report: r.message.type === 'report_version' ? { state: 'version' as const, version: r.message.version } : r.message.report,
        })),
      ),
    pushDownlink: (subdevice, channel, payload) => hub.pushDownlink(subdevice, channel, Buffer.from(payload)),
    pushFirmwareUpdate: (subdevice, job) => hub.pushFirmware(subdevice, job),
    pushBroadcast: (subdevice, payload) => hub.publish(broadcastTopic(subdevice), Buffer.from(payload), 1),
    pushRrpcRequest: (subdevice, processId, payload) => hub.publish(rrpcRequestTopic(subdevice, processId), Buffer.from(payload), 0),
    rrpcRepliesReceived: () =>
      Promise.resolve(
        broker.published.flatMap((p) => {
          const topic = parseTopic(p.topic);
          return topic?.kind === 'rrpc-reply' ? [{ subdevice: topic.device, processId: topic.processId, payload: new Uint8Array(p.payload) }] : [];
        }),
      ),
    changeBinding: (subdevices, bound) => hub.pushChange([...subdevices], bound),
    deviceServices: {
      setRemoteConfig: (config, enabled) => {
        hub.config = config;
        hub.configEnabled = enabled;
        return Promise.resolve();
      },
      pushRemoteConfig: (config) => hub.pushConfig(config),
      setLogLevel: (level, push) => (push ? hub.pushLogLevel(level) : Promise.resolve(void (hub.logLevel = level))),
      gatewayEventsReceived: () =>
        Promise.resolve(
          broker.published.flatMap((p) => (p.clientId === `${GW.productId}${GW.deviceName}` && p.topic === `${GW.productId}/${GW.deviceName}/event` ? [new Uint8Array(p.payload)] : [])),
        ),
    },
    makeRefusedTransport: () => Promise.resolve(make('d3JvbmdTZWNyZXQ=')),
    dispose: async () => {
      for (const m of made) await m.close();
      await hub.stop();
      await broker.stop();
    },
  };
}

describeHubTransportContract(test, makeHarness, { name: 'MqttHubTransport (aedes)' });
