// The hub, in its own process so the rig can kill -9 it: the hub emulator (embedded broker) plus the
// counter. Every reading the hub accepts is appended to the received file with a synchronous write
// in the hub's message event, which the emulator raises before the broker writes the PUBACK: a
// reading the hub acknowledged is on record even when this process is killed right after.
import { openSync, writeSync, createReadStream } from 'node:fs';
import mqtt from 'mqtt';
import { HubEmulator, type FirmwareFaults } from '@iotgw/hub-emulator';
import { parseTopic } from '@iotgw/protocol-tencent';
import { serveIpc } from './ipc.js';

export interface HubProcessOptions {
  readonly registryPath: string;
  /** Append-only record of every data message the hub accepted: one JSON line each. */
  readonly receivedFile: string;
  /**
   * `mqtt://host:port` of an external broker (mosquitto): the hub logic runs as its client, and
   * the counter is a subscriber of that broker (the hub logic does not see device data there).
   */
  readonly brokerUrl?: string;
}

/** One line of the received file. */
export interface ReceivedRecord {
  readonly at: number;
  readonly topic: string;
  readonly payload: string;
}

const options = JSON.parse(process.env['CHAOS_HUB_OPTIONS'] ?? '{}') as HubProcessOptions;
const received = openSync(options.receivedFile, 'a');
const hub = await HubEmulator.start({ mqttPort: 0, httpPort: 0, registryPath: options.registryPath, ...(options.brokerUrl ? { brokerUrl: options.brokerUrl } : {}) });
const record = (at: number, topic: string, payload: string): void => {
  writeSync(received, `${JSON.stringify({ at, topic, payload } satisfies ReceivedRecord)}\n`);
};
if (options.brokerUrl) {
  const counter = await mqtt.connectAsync(options.brokerUrl, { protocolVersion: 4, clientId: `iotgw-chaos-counter-${process.pid}`, reconnectPeriod: 500 });
  // Anyone may publish on this broker (the hostile flood does, on the same topics): keep only what looks like our readings.
  counter.on('message', (topic, payload) => {
    if (payload.length < 512 && payload.subarray(0, 7).toString() === '{"sub":') record(Date.now(), topic, payload.toString('utf8'));
  });
  await counter.subscribeAsync('+/+/data', { qos: 1 });
} else {
  hub.core.on('message', (message) => {
    if (message.direction === 'up' && parseTopic(message.topic)?.kind === 'data') record(message.at, message.topic, message.payload);
  });
}

const ipc = serveIpc({
  state: () => ({
    online: hub.registry.listOnline(),
    bindings: hub.registry.listBindings(),
    denials: hub.denials,
    authFailures: hub.authFailures.length,
    jobs: hub.core.jobs,
    versions: Object.fromEntries(hub.core.reportedVersions),
  }),
  uploadFirmware: async (args: { path: string; version: string }) => {
    const image = await hub.uploadFirmware({ version: args.version, data: createReadStream(args.path) });
    return { id: image.id, version: image.version, size: image.size, md5: image.md5 };
  },
  pushFirmware: async (args: { subdevice: string; firmwareId: string }) => (await hub.core.pushFirmware(args)).id,
  faults: (args: FirmwareFaults) => {
    hub.firmwareFaults = args;
    return hub.firmwareFaults;
  },
  consoleUnbind: (args: { gateway: string; subdevice: string }) => hub.core.consoleUnbind(args),
  consoleBind: (args: { gateway: string; subdevice: string }) => hub.core.consoleBind(args),
});

const stop = (): void => {
  hub.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
ipc.emit('ready', { mqtt: hub.urls.mqtt, http: hub.urls.http });
