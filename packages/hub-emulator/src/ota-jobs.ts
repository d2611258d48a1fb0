import { parseSubdeviceKey, subdeviceKey, type Logger, type OtaReport, type SubdeviceId } from '@iotgw/domain';
import { decodeOtaDeviceMessage, describeOtaResult, encodeReportVersionReply, encodeUpdateFirmware, otaUpdateTopic } from '@iotgw/protocol-tencent';
import type { DeviceRegistry } from './device-registry.js';
import type { FirmwareCatalog } from './firmware-catalog.js';
import { RegistryError } from './hub-emulator.errors.js';
import type { OtaJobRecord } from './ota-job.record.js';

/** Jobs remembered (the oldest finished ones go first), and reports remembered per job. */
const JOB_HISTORY = 500;
const REPORTS_PER_JOB = 100;

export interface OtaJobsDeps {
  registry: DeviceRegistry;
  catalog: FirmwareCatalog;
  logger: Logger;
  now: () => number;
  /** Absolute, signed URL of a firmware image, valid for ttlSec. */
  firmwareUrl: (firmwareId: string, ttlSec: number) => string;
  send(topic: string, payload: string, qos: 0 | 1): Promise<void>;
  protocolError(topic: string, reason: string): void;
  /** A job changed (pushed, progressed, ended). */
  changed(job: OtaJobRecord): void;
  /** A device reported its version. */
  versionReported(device: string, version: string): void;
}

const id = (d: SubdeviceId): string => subdeviceKey(d);

/**
 * The hub's side of firmware updates: pushes `update_firmware`, answers `report_version`, and
 * follows each job through its reports — the download leg (`downloading` percent) and, when a
 * gateway delivers to a subdevice, the delivery leg (`burning` with a percent) — to done or fail.
 * Logs each job's states at info (percent steps of 10), a failure at warn; never the link.
 */
export class OtaJobs {
  readonly jobs: OtaJobRecord[] = [];
  /** Last version each device reported (`report_version`). */
  readonly reportedVersions = new Map<string, string>();
  private seq = 0;

  constructor(private readonly deps: OtaJobsDeps) {}

  async push(options: { subdevice: string; firmwareId: string; ttlSec?: number }): Promise<OtaJobRecord> {
    const image = this.deps.catalog.get(options.firmwareId);
    if (!image) throw new RegistryError(`firmware ${options.firmwareId} is not registered: register the file first`);
    if (!this.deps.registry.getByKey(options.subdevice)) throw new RegistryError(`device ${options.subdevice} is not in the registry`);
    const ttlSec = options.ttlSec ?? 3600;
    const url = this.deps.firmwareUrl(image.id, ttlSec);
    this.seq += 1;
    const job: OtaJobRecord = {
      id: `job${this.seq}`,
      subdevice: options.subdevice,
      firmwareId: image.id,
      version: image.version,
      url,
      ttlSec,
      md5: image.md5,
      size: image.size,
      createdAt: this.deps.now(),
      state: 'pushed',
      percent: 0,
      reports: [],
    };
    this.jobs.push(job);
    this.forgetOldJobs();
    this.deps.logger.info('firmware pushed', { job: job.id, subdevice: job.subdevice, firmware: image.id, version: image.version, bytes: image.size, md5: image.md5, ttlSec });
    this.deps.changed(job);
    await this.sendUpdate(job);
    return job;
  }

  async handleReport(device: SubdeviceId, payload: Buffer): Promise<void> {
    const decoded = decodeOtaDeviceMessage(payload);
    if (!decoded.ok) {
      this.deps.protocolError(`$ota/report/${id(device)}`, decoded.error.message);
      return;
    }
    const message = decoded.value;
    if (message.type === 'report_version') {
      this.reportedVersions.set(id(device), message.version);
      this.deps.logger.info('firmware version reported', { device: id(device), version: message.version });
      this.deps.versionReported(id(device), message.version);
      await this.deps.send(otaUpdateTopic(device), encodeReportVersionReply({ resultCode: 0, resultMsg: 'success', version: message.version }), 1);
      await this.pushAgainIfNeverTaken(device, message.version);
      return;
    }
    this.recordProgress(id(device), message.report);
  }

  /**
   * A push the device never took up (no report since) is pushed again when the device reports a
   * version other than the job's: it was away, or its gateway had let go of its update topic (a
   * subdevice taken offline and back), when the push went out. A device reports its version when
   * it comes (back) online; the vendor documents the flow as report, then update.
   * Only the device's newest job, and only while it is still `pushed`: a job under way is not
   * restarted.
   */
  private async pushAgainIfNeverTaken(device: SubdeviceId, reported: string): Promise<void> {
    const newest = this.jobs.findLast((j) => j.subdevice === id(device));
    if (!newest || newest.state !== 'pushed' || newest.version === reported) return;
    // A fresh link: the first one may have expired while the device was away.
    newest.url = this.deps.firmwareUrl(newest.firmwareId, newest.ttlSec);
    this.deps.logger.info('firmware pushed again', { job: newest.id, subdevice: newest.subdevice, version: newest.version, reported });
    this.deps.changed(newest);
    await this.sendUpdate(newest);
  }

  /** `update_firmware` for a job, with the link it holds now. */
  private async sendUpdate(job: OtaJobRecord): Promise<void> {
    await this.deps.send(otaUpdateTopic(parseSubdeviceKey(job.subdevice)), encodeUpdateFirmware({ version: job.version, url: job.url, md5: job.md5, size: job.size }), 1);
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
      this.deps.protocolError(`$ota/report/${device}`, `progress for version ${report.version} but no job pushed`);
      return;
    }
    job.reports.push({ at: this.deps.now(), report });
    job.reportCount = (job.reportCount ?? 0) + 1;
    // A device may report as often as it likes: the job keeps the first report and the newest ones.
    if (job.reports.length > REPORTS_PER_JOB) job.reports.splice(1, job.reports.length - REPORTS_PER_JOB);
    if (job.state === 'done' || job.state === 'fail') {
      // A final state is final; later reports are recorded but do not reopen the job.
      this.deps.changed(job);
      return;
    }
    const before = { state: job.state, percent: job.percent, delivery: job.deliveryPercent };
    job.state = report.state;
    if (report.state === 'downloading') job.percent = report.percent;
    if (report.state === 'burning') {
      // Delivery starts only once the image is downloaded and verified (a lost QoS 0 "100" is no doubt).
      job.percent = 100;
      if (report.percent !== undefined) job.deliveryPercent = report.percent;
    }
    if (report.state === 'done') {
      job.percent = 100;
      if (job.deliveryPercent !== undefined) job.deliveryPercent = 100;
    }
    if (report.state === 'fail') {
      job.failCode = report.code;
      job.failMessage = report.message;
    }
    this.logProgress(job, before);
    this.deps.changed(job);
  }

  private logProgress(job: OtaJobRecord, before: { state: string; percent: number; delivery: number | undefined }): void {
    const context = { job: job.id, subdevice: job.subdevice, version: job.version };
    const logger = this.deps.logger;
    if (job.state === 'fail') {
      logger.warn('firmware job failed', { ...context, code: job.failCode, meaning: describeOtaResult(job.failCode ?? 0), message: job.failMessage });
    } else if (job.state === 'done') {
      logger.info('firmware job done', context);
    } else if (job.state === 'downloading') {
      const step = job.state !== before.state || Math.floor(job.percent / 10) !== Math.floor(before.percent / 10);
      logger[step ? 'info' : 'debug']('firmware job downloading', { ...context, percent: job.percent });
    } else if (job.state === 'burning') {
      const delivery = job.deliveryPercent;
      const step = job.state !== before.state || (delivery !== undefined && Math.floor(delivery / 10) !== Math.floor((before.delivery ?? -10) / 10));
      logger[step ? 'info' : 'debug'](delivery === undefined ? 'firmware job burning' : 'firmware job delivering', { ...context, ...(delivery !== undefined ? { percent: delivery } : {}) });
    }
  }
}
