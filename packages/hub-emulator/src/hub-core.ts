import { EventEmitter } from 'node:events';
import { parseSubdeviceKey, subdeviceKey, type Logger } from '@iotgw/domain';
import { dataTopic, encodeGatewayReply, gatewayOperationResultTopic, parseTopic } from '@iotgw/protocol-tencent';
import type { DeviceRegistry, Binding } from './device-registry.js';
import type { FirmwareCatalog } from './firmware-catalog.js';
import type { HubBus } from './hub-bus.js';
import type { OtaJobRecord } from './ota-job.record.js';
import { RegistryError } from './hub-emulator.errors.js';
import { BoundedLog } from './bounded-log.js';
import { DeviceServices } from './device-services.js';
import { GatewayOperations } from './gateway-operations.js';
import { OtaJobs } from './ota-jobs.js';
import { loggablePayload } from './loggable-payload.js';
import { RrpcCalls, type RrpcCallRecord } from './rrpc-calls.js';
import { ShadowStore, type ShadowRecord } from './shadow-store.js';
import { TopologyPushes, type TopologyAckRecord } from './topology-pushes.js';
import { encodeTimeReply, isTimeRequest, systemOperationResultTopic, broadcastTopic } from '@iotgw/protocol-tencent';

export interface HubMessageRecord {
  at: number;
  direction: 'up' | 'down';
  topic: string;
  /** The payload as text, cut to the first 4 KiB (`truncated` then true). */
  payload: string;
  /** Size of the whole payload, bytes. */
  size: number;
  truncated?: true;
}

/** Longest payload text a message record keeps (the console shows messages, it does not archive them). */
const RECORDED_PAYLOAD_CHARS = 4096;

export interface HubCoreEvents {
  message: [record: HubMessageRecord];
  ota: [job: OtaJobRecord];
  protocolError: [topic: string, reason: string];
  /** A device reported its firmware version (`report_version`). */
  version: [device: string, version: string];
  /** An RRPC call started, was answered or timed out. */
  rrpc: [record: RrpcCallRecord];
  /** A device's shadow changed (console desired, device update). */
  shadow: [device: string, record: ShadowRecord];
  /** A gateway acknowledged a topology push (change, unbind_all, search_devices). */
  topologyAck: [record: TopologyAckRecord];
}

export interface HubCoreOptions {
  registry: DeviceRegistry;
  catalog: FirmwareCatalog;
  bus: HubBus;
  logger: Logger;
  /** Absolute URL of a firmware image, valid for ttlSec. */
  firmwareUrl: (firmwareId: string, ttlSec: number) => string;
  now?: () => number;
  /** How far a bind timestamp may be from the emulator clock, in seconds. Default 600. */
  bindTimestampWindowSec?: number;
  /** Remembered messages (for the console). Default 100. */
  messageHistory?: number;
  /** Remembered malformed messages (newest kept, all counted). Default 1000. */
  refusalHistory?: number;
}

/** A message from a device the hub could not read (it is counted, recorded and otherwise ignored). */
export interface MalformedMessage {
  at: number;
  topic: string;
  reason: string;
}

/**
 * The hub's behaviour, independent of how MQTT is carried: answers gateway operations, records OTA
 * reports, pushes firmware and console-side binding changes. Every wire format comes from
 * @iotgw/protocol-tencent, so the emulator and our gateway share one codec. Every message in and
 * out is logged at debug (topic, size, the start of the payload with secrets masked).
 */
export class HubCore extends EventEmitter<HubCoreEvents> {
  readonly messages: HubMessageRecord[] = [];
  /** The newest malformed messages (`items`) and how many there were (`total`). */
  readonly malformed: BoundedLog<MalformedMessage>;
  private readonly now: () => number;
  private readonly operations: GatewayOperations;
  private readonly ota: OtaJobs;
  /** RRPC calls made from the console or admin API. */
  readonly rrpc: RrpcCalls;
  /** Device shadows. */
  readonly shadows: ShadowStore;
  /** Time requests (`$sys/operation` get time) answered. */
  timeRequests = 0;
  /** Remote configuration, log levels and uploaded logs of every device. */
  readonly services: DeviceServices;
  /** Console "unbind all" and "search for subdevices", and the gateways' acks of every push. */
  readonly topology: TopologyPushes;

  constructor(private readonly options: HubCoreOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.malformed = new BoundedLog(options.refusalHistory ?? 1000);
    const send = (topic: string, payload: string, qos: 0 | 1): Promise<void> => this.send(topic, payload, qos);
    const protocolError = (topic: string, reason: string): void => this.protocolError(topic, reason);
    this.topology = new TopologyPushes({ registry: options.registry, logger: options.logger, now: this.now, send, acknowledged: (record) => this.emit('topologyAck', record) });
    this.operations = new GatewayOperations({
      registry: options.registry,
      logger: options.logger,
      now: this.now,
      bindTimestampWindowSec: options.bindTimestampWindowSec ?? 600,
      send,
      protocolError,
      pushChange: (gateway, subdevice, status) => this.pushChange(gateway, subdevice, status),
      acknowledged: (gateway, ack) => this.topology.record(gateway, ack),
    });
    this.ota = new OtaJobs({
      registry: options.registry,
      catalog: options.catalog,
      logger: options.logger,
      now: this.now,
      firmwareUrl: options.firmwareUrl,
      send,
      protocolError,
      changed: (job) => this.emit('ota', job),
      versionReported: (device, version) => this.emit('version', device, version),
    });
    this.rrpc = new RrpcCalls(options.registry, send, this.now, options.logger, (record) => this.emit('rrpc', record));
    this.shadows = new ShadowStore(options.registry, send, this.now, options.logger, protocolError, (device, record) => this.emit('shadow', device, record));
    this.services = new DeviceServices({ registry: options.registry, logger: options.logger, now: this.now, send, protocolError });
    options.bus.onMessage((topic, payload) => {
      this.handle(topic, payload).catch((error: unknown) => {
        options.logger.error('hub failed to handle a message', { topic, error: (error as Error).message });
      });
    });
  }

  /** Firmware jobs pushed, oldest first (the newest 500; finished ones are dropped first). */
  get jobs(): OtaJobRecord[] {
    return this.ota.jobs;
  }

  /** Last version each device reported (`report_version`). */
  get reportedVersions(): Map<string, string> {
    return this.ota.reportedVersions;
  }

  /** How many malformed messages devices sent. */
  get protocolErrors(): number {
    return this.malformed.total;
  }

  async handle(topic: string, payload: Buffer): Promise<void> {
    this.options.logger.debug('message up', { topic, bytes: payload.length, payload: loggablePayload(payload) });
    const parsed = parseTopic(topic);
    if (!parsed) return;
    if (parsed.kind === 'gateway-operation') {
      this.record('up', topic, payload);
      await this.operations.handle(parsed.device, payload);
    } else if (parsed.kind === 'ota-report') {
      this.record('up', topic, payload);
      await this.ota.handleReport(parsed.device, payload);
    } else if (parsed.kind === 'data') {
      this.record('up', topic, payload);
    } else if (parsed.kind === 'shadow-operation') {
      this.record('up', topic, payload);
      await this.shadows.handle(`${parsed.device.productId}/${parsed.device.deviceName}`, topic, payload);
    } else if (parsed.kind === 'system-operation') {
      this.record('up', topic, payload);
      if (isTimeRequest(payload)) this.timeRequests++;
      if (isTimeRequest(payload)) await this.send(systemOperationResultTopic(parsed.device), encodeTimeReply(this.now()), 0);
    } else if (parsed.kind === 'rrpc-reply') {
      this.record('up', topic, payload);
      this.rrpc.reply(parsed.device, parsed.processId, payload);
    } else if (parsed.kind === 'config-operation') {
      this.record('up', topic, payload);
      await this.services.handleConfigRequest(subdeviceKey(parsed.device), topic, payload);
    } else if (parsed.kind === 'log-operation') {
      this.record('up', topic, payload);
      await this.services.handleLogLevelRequest(subdeviceKey(parsed.device), topic, payload);
    }
  }

  /** When a gateway's connection drops the hub takes the subdevices online through it offline too. */
  gatewayDisconnected(gateway: string): void {
    const registry = this.options.registry;
    for (const sub of registry.subdevicesOf(gateway)) registry.setOnline(sub, false);
  }

  /** Console bind: updates the registry and pushes `change` (status 1) to the gateway. */
  async consoleBind(binding: Binding): Promise<boolean> {
    const previous = this.options.registry.gatewayOf(binding.subdevice);
    const changed = await this.options.registry.bind(binding.gateway, binding.subdevice);
    if (changed) {
      if (previous && previous !== binding.gateway) await this.pushChange(previous, binding.subdevice, 0);
      await this.pushChange(binding.gateway, binding.subdevice, 1);
    }
    return changed;
  }

  /** Console unbind: updates the registry and pushes `change` (status 0) to the gateway. */
  async consoleUnbind(binding: Binding): Promise<boolean> {
    const changed = await this.options.registry.unbind(binding.gateway, binding.subdevice);
    if (changed) await this.pushChange(binding.gateway, binding.subdevice, 0);
    return changed;
  }

  /** Downlink data to a device's `{pid}/{dev}/{channel}` topic, as the console's "send data". */
  async sendData(device: string, payload: string, channel = 'data'): Promise<void> {
    if (!this.options.registry.getByKey(device)) throw new RegistryError(`device ${device} is not in the registry`);
    await this.send(dataTopic(parseSubdeviceKey(device), channel), payload, 1);
  }

  /**
   * Broadcast (the cloud API PublishBroadcastMessage): to every online device of the product, on
   * its `$broadcast/rxd/{pid}/{dev}` (delivered only where subscribed). Returns the devices sent to.
   */
  async broadcast(productId: string, payload: string): Promise<string[]> {
    const targets = this.options.registry.list().filter((d) => d.productId === productId && this.options.registry.isOnline(`${d.productId}/${d.deviceName}`));
    for (const d of targets) await this.send(broadcastTopic(d), payload, 0);
    return targets.map((d) => `${d.productId}/${d.deviceName}`);
  }

  /** Pushes `update_firmware` for a registered image to a device; returns the job record. */
  async pushFirmware(options: { subdevice: string; firmwareId: string; ttlSec?: number }): Promise<OtaJobRecord> {
    return this.ota.push(options);
  }

  private async pushChange(gateway: string, subdevice: string, status: 0 | 1): Promise<void> {
    this.options.logger.info('change pushed', { gateway, subdevice, status: status === 1 ? 'bound' : 'unbound' });
    await this.send(gatewayOperationResultTopic(parseSubdeviceKey(gateway)), encodeGatewayReply({ type: 'change', status, devices: [parseSubdeviceKey(subdevice)] }), 0);
  }

  private record(direction: 'up' | 'down', topic: string, payload: Buffer | string): void {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const text = (typeof payload === 'string' ? payload : payload.subarray(0, RECORDED_PAYLOAD_CHARS * 4).toString('utf8')).slice(0, RECORDED_PAYLOAD_CHARS);
    const entry: HubMessageRecord = { at: this.now(), direction, topic, payload: text, size, ...(size > Buffer.byteLength(text) ? { truncated: true as const } : {}) };
    this.messages.push(entry);
    const max = this.options.messageHistory ?? 100;
    if (this.messages.length > max) this.messages.splice(0, this.messages.length - max);
    this.emit('message', entry);
  }

  private async send(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    this.options.logger.debug('message down', { topic, bytes: Buffer.byteLength(payload), payload: loggablePayload(payload) });
    this.record('down', topic, payload);
    await this.options.bus.publish(topic, payload, qos);
  }

  private protocolError(topic: string, reason: string): void {
    this.malformed.push({ at: this.now(), topic, reason });
    this.options.logger.warn('malformed message from a device', { topic, reason });
    this.emit('protocolError', topic, reason);
  }
}
