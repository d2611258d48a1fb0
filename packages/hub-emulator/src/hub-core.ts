import { EventEmitter } from 'node:events';
import type { Logger, OtaReport, SubdeviceId } from '@iotgw/domain';
import {
  decodeGatewayRequest,
  decodeOtaDeviceMessage,
  encodeGatewayReply,
  encodeReportVersionReply,
  encodeUpdateFirmware,
  gatewayOperationResultTopic,
  otaUpdateTopic,
  dataTopic,
  parseTopic,
  verifyBindSignature,
  type BindDeviceEntry,
  type DeviceResult,
  type GatewayRequest,
} from '@iotgw/protocol-tencent';
import { deviceKey, type DeviceRegistry, type Binding } from './device-registry.js';
import { EMULATOR_RESULT } from './emulator-result-codes.js';
import type { FirmwareCatalog } from './firmware-catalog.js';
import type { HubBus } from './hub-bus.js';
import type { OtaJobRecord } from './ota-job.record.js';
import { RegistryError } from './hub-emulator.errors.js';
import { BoundedLog } from './bounded-log.js';

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
/** Jobs remembered (the oldest finished ones go first), and reports remembered per job. */
const JOB_HISTORY = 500;
const REPORTS_PER_JOB = 100;

export interface HubCoreEvents {
  message: [record: HubMessageRecord];
  ota: [job: OtaJobRecord];
  protocolError: [topic: string, reason: string];
  /** A device reported its firmware version (`report_version`). */
  version: [device: string, version: string];
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

const id = (d: SubdeviceId): string => deviceKey(d.productId, d.deviceName);
const parseKey = (key: string): SubdeviceId => ({ productId: key.slice(0, key.indexOf('/')), deviceName: key.slice(key.indexOf('/') + 1) });

/**
 * The hub's behaviour, independent of how MQTT is carried: answers gateway operations, records OTA
 * reports, pushes firmware and console-side binding changes. Every wire format comes from
 * @iotgw/protocol-tencent, so the emulator and our gateway share one codec.
 */
export class HubCore extends EventEmitter<HubCoreEvents> {
  readonly jobs: OtaJobRecord[] = [];
  readonly messages: HubMessageRecord[] = [];
  /** Last version each device reported (`report_version`). */
  readonly reportedVersions = new Map<string, string>();
  /** The newest malformed messages (`items`) and how many there were (`total`). */
  readonly malformed: BoundedLog<MalformedMessage>;
  private jobSeq = 0;
  private readonly now: () => number;

  constructor(private readonly options: HubCoreOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.malformed = new BoundedLog(options.refusalHistory ?? 1000);
    options.bus.onMessage((topic, payload) => {
      this.handle(topic, payload).catch((error: unknown) => {
        options.logger.error('hub failed to handle a message', { topic, error: (error as Error).message });
      });
    });
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
    this.record('down', topic, payload);
    await this.options.bus.publish(topic, payload, qos);
  }

  /** How many malformed messages devices sent. */
  get protocolErrors(): number {
    return this.malformed.total;
  }

  private protocolError(topic: string, reason: string): void {
    this.malformed.push({ at: this.now(), topic, reason });
    this.options.logger.warn('malformed message from a device', { topic, reason });
    this.emit('protocolError', topic, reason);
  }

  async handle(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic);
    if (!parsed) return;
    if (parsed.kind === 'gateway-operation') {
      this.record('up', topic, payload);
      await this.handleOperation(parsed.device, payload);
    } else if (parsed.kind === 'ota-report') {
      this.record('up', topic, payload);
      await this.handleOtaReport(parsed.device, payload);
    } else if (parsed.kind === 'data') {
      this.record('up', topic, payload);
    }
  }

  // ---------- gateway operations ----------

  private async handleOperation(gateway: SubdeviceId, payload: Buffer): Promise<void> {
    const decoded = decodeGatewayRequest(payload);
    const replyTopic = gatewayOperationResultTopic(gateway);
    if (!decoded.ok) {
      this.protocolError(`$gateway/operation/${id(gateway)}`, decoded.error.message);
      // A request we cannot read still gets an answer when its type is known: -801, parameter error.
      const type = typeOf(payload);
      if (type === 'online' || type === 'offline' || type === 'bind' || type === 'unbind') {
        await this.send(replyTopic, encodeGatewayReply({ type, devices: devicesOf(payload).map((d) => ({ subdevice: d, result: EMULATOR_RESULT.parameterError })) }), 0);
      }
      return;
    }
    const reply = await this.answer(id(gateway), decoded.value);
    await this.send(replyTopic, reply, 0);
  }

  private async answer(gateway: string, request: GatewayRequest): Promise<string> {
    const registry = this.options.registry;
    switch (request.type) {
      case 'describe_sub_devices':
        return encodeGatewayReply({ type: 'describe_sub_devices', devices: registry.subdevicesOf(gateway).map(parseKey) });
      case 'bind': {
        const devices: DeviceResult[] = [];
        for (const entry of request.devices) devices.push({ subdevice: entry.subdevice, result: await this.bindOne(gateway, entry) });
        return encodeGatewayReply({ type: 'bind', devices });
      }
      default: {
        const devices: DeviceResult[] = [];
        for (const subdevice of request.devices) {
          devices.push({ subdevice, result: await this.deviceOperation(gateway, request.type, id(subdevice)) });
        }
        return encodeGatewayReply({ type: request.type, devices });
      }
    }
  }

  private async deviceOperation(gateway: string, type: 'online' | 'offline' | 'unbind', sub: string): Promise<number> {
    const registry = this.options.registry;
    if (!registry.getByKey(sub)) return EMULATOR_RESULT.unknownDevice;
    if (!registry.isBound(gateway, sub)) return EMULATOR_RESULT.notBound;
    try {
      if (type === 'online') registry.setOnline(sub, true);
      else if (type === 'offline') registry.setOnline(sub, false);
      else await registry.unbind(gateway, sub);
      return EMULATOR_RESULT.success;
    } catch (error) {
      this.options.logger.error('registry update failed', { subdevice: sub, error: (error as Error).message });
      return EMULATOR_RESULT.systemError;
    }
  }

  private async bindOne(gateway: string, entry: BindDeviceEntry): Promise<number> {
    const registry = this.options.registry;
    const sub = id(entry.subdevice);
    const device = registry.getByKey(sub);
    if (!device) return EMULATOR_RESULT.unknownDevice;
    if (!verifyBindSignature(entry, device.deviceSecret)) {
      this.options.logger.warn('bind refused: bad signature', { gateway, subdevice: sub });
      return EMULATOR_RESULT.badSignature;
    }
    const window = this.options.bindTimestampWindowSec ?? 600;
    if (Math.abs(this.now() / 1000 - entry.timestamp) > window) {
      this.options.logger.warn('bind refused: timestamp out of window', { gateway, subdevice: sub, timestamp: entry.timestamp });
      return EMULATOR_RESULT.staleTimestamp;
    }
    try {
      const previous = registry.gatewayOf(sub);
      await registry.bind(gateway, sub);
      // The hub keeps one gateway per subdevice: the one it was taken from is told.
      if (previous && previous !== gateway) await this.pushChange(previous, sub, 0);
      return EMULATOR_RESULT.success;
    } catch (error) {
      this.options.logger.error('registry update failed', { subdevice: sub, error: (error as Error).message });
      return EMULATOR_RESULT.systemError;
    }
  }

  /** When a gateway's connection drops the hub takes its subdevices offline too. */
  gatewayDisconnected(gateway: string): void {
    const registry = this.options.registry;
    registry.setOnline(gateway, false);
    for (const sub of registry.subdevicesOf(gateway)) registry.setOnline(sub, false);
  }

  // ---------- console side ----------

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

  private async pushChange(gateway: string, subdevice: string, status: 0 | 1): Promise<void> {
    await this.send(gatewayOperationResultTopic(parseKey(gateway)), encodeGatewayReply({ type: 'change', status, devices: [parseKey(subdevice)] }), 0);
  }

  /** Downlink data to a device's `{pid}/{dev}/{channel}` topic, as the console's "send data". */
  async sendData(device: string, payload: string, channel = 'data'): Promise<void> {
    if (!this.options.registry.getByKey(device)) throw new RegistryError(`device ${device} is not in the registry`);
    await this.send(dataTopic(parseKey(device), channel), payload, 1);
  }

  // ---------- OTA ----------

  /** Pushes `update_firmware` for a registered image to a device; returns the job record. */
  async pushFirmware(options: { subdevice: string; firmwareId: string; ttlSec?: number }): Promise<OtaJobRecord> {
    const image = this.options.catalog.get(options.firmwareId);
    if (!image) throw new RegistryError(`firmware ${options.firmwareId} is not registered: register the file first`);
    if (!this.options.registry.getByKey(options.subdevice)) throw new RegistryError(`device ${options.subdevice} is not in the registry`);
    const url = this.options.firmwareUrl(image.id, options.ttlSec ?? 3600);
    this.jobSeq += 1;
    const job: OtaJobRecord = {
      id: `job${this.jobSeq}`,
      subdevice: options.subdevice,
      firmwareId: image.id,
      version: image.version,
      url,
      md5: image.md5,
      size: image.size,
      createdAt: this.now(),
      state: 'pushed',
      percent: 0,
      reports: [],
    };
    this.jobs.push(job);
    this.forgetOldJobs();
    this.emit('ota', job);
    await this.send(otaUpdateTopic(parseKey(options.subdevice)), encodeUpdateFirmware({ version: image.version, url, md5: image.md5, size: image.size }), 1);
    return job;
  }

  private async handleOtaReport(device: SubdeviceId, payload: Buffer): Promise<void> {
    const decoded = decodeOtaDeviceMessage(payload);
    if (!decoded.ok) {
      this.protocolError(`$ota/report/${id(device)}`, decoded.error.message);
      return;
    }
    const message = decoded.value;
    if (message.type === 'report_version') {
      this.reportedVersions.set(id(device), message.version);
      this.emit('version', id(device), message.version);
      await this.send(otaUpdateTopic(device), encodeReportVersionReply({ resultCode: 0, resultMsg: 'success', version: message.version }), 1);
      return;
    }
    this.recordProgress(id(device), message.report);
  }

  /** Keeps the job list bounded: the oldest finished jobs go first, then the oldest of any. */
  private forgetOldJobs(): void {
    while (this.jobs.length > JOB_HISTORY) {
      const finished = this.jobs.findIndex((j) => j.state === 'done' || j.state === 'fail');
      this.jobs.splice(finished >= 0 ? finished : 0, 1);
    }
  }

  private recordProgress(device: string, report: OtaReport): void {
    // The newest job for this device and version; reports for no job are kept as protocol noise.
    const job = [...this.jobs].reverse().find((j) => j.subdevice === device && j.version === report.version);
    if (!job) {
      this.protocolError(`$ota/report/${device}`, `progress for version ${report.version} but no job pushed`);
      return;
    }
    job.reports.push({ at: this.now(), report });
    job.reportCount = (job.reportCount ?? 0) + 1;
    // A device may report as often as it likes: the job keeps the first report and the newest ones.
    if (job.reports.length > REPORTS_PER_JOB) job.reports.splice(1, job.reports.length - REPORTS_PER_JOB);
    if (job.state === 'done' || job.state === 'fail') {
      // A final state is final; later reports are recorded but do not reopen the job.
      this.emit('ota', job);
      return;
    }
    job.state = report.state;
    if (report.state === 'downloading') job.percent = report.percent;
    if (report.state === 'done') job.percent = 100;
    if (report.state === 'fail') {
      job.failCode = report.code;
      job.failMessage = report.message;
    }
    this.emit('ota', job);
  }
}

function typeOf(payload: Buffer): string | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as { type?: unknown };
    return typeof value.type === 'string' ? value.type : undefined;
  } catch {
    return undefined;
  }
}

/** Best-effort device list of a malformed request, so the -2 reply still names them. */
function devicesOf(payload: Buffer): SubdeviceId[] {
  try {
    const value = JSON.parse(payload.toString('utf8')) as { payload?: { devices?: unknown } };
    const list = value.payload?.devices;
    if (!Array.isArray(list)) return [];
    return list
      .filter((d): d is { product_id: string; device_name: string } => typeof d === 'object' && d !== null && typeof (d as { product_id?: unknown }).product_id === 'string' && typeof (d as { device_name?: unknown }).device_name === 'string')
      .map((d) => ({ productId: d.product_id, deviceName: d.device_name }));
  } catch {
    return [];
  }
}
