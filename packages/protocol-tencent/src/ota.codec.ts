import {
  firmwareUrlProblem,
  firmwareVersionProblem,
  isValidFirmwareVersion,
  OTA_FAIL,
  type FirmwareJob,
  type OtaFailCode,
  type OtaReport,
} from '@iotgw/domain';
import { decoded, refused, type DecodeOptions, type DecodeResult } from './decode-result.js';
import { isObject, looseInteger, parseJsonObject, type JsonObject } from './json-payload.js';

/** Device → hub on `$ota/report/{pid}/{dev}`. */
export type OtaDeviceMessage =
  | { readonly type: 'report_version'; readonly version: string }
  | { readonly type: 'report_progress'; readonly report: OtaReport };

export interface ReportVersionReply {
  readonly resultCode: number;
  readonly resultMsg: string;
  readonly version: string;
}

/**
 * An `update_firmware` the gateway must not run: a version with control or path characters, no
 * or a non-positive size, a bad MD5, a URL that is not http(s). `version` is set when the hub can
 * still be told (`fail` for it): a string of 1 to 32 characters, whatever else is wrong with it.
 */
export interface RefusedFirmwareUpdate {
  readonly type: 'update_firmware_refused';
  readonly version: string | undefined;
  readonly reason: string;
}

/** Hub → device on `$ota/update/{pid}/{dev}`. */
export type OtaHubMessage =
  | { readonly type: 'update_firmware'; readonly job: FirmwareJob }
  | RefusedFirmwareUpdate
  | ({ readonly type: 'report_version_rsp' } & ReportVersionReply);

const q = (s: string): string => JSON.stringify(s);

// ---------- device side encoders (SDK form: every number in progress is a string) ----------

export function encodeReportVersion(version: string): string {
  return `{"type":"report_version","report":{"version":${q(version)}}}`;
}

export function encodeReportProgress(report: OtaReport): string {
  const percent = report.state === 'downloading' || (report.state === 'burning' && report.percent !== undefined) ? `"percent":"${report.percent}",` : '';
  const code = report.state === 'fail' ? String(report.code) : '0';
  const msg = report.state === 'fail' ? report.message : '';
  return (
    `{"type":"report_progress","report":{"progress":{"state":"${report.state}",${percent}` +
    `"result_code":"${code}","result_msg":${q(msg)}},"version":${q(report.version)}}}`
  );
}

// ---------- hub side encoders (for the emulator) ----------

export function encodeUpdateFirmware(job: FirmwareJob): string {
  return `{"file_size":${job.size},"md5sum":${q(job.md5)},"type":"update_firmware","url":${q(job.url)},"version":${q(job.version)}}`;
}

export function encodeReportVersionReply(reply: ReportVersionReply): string {
  return `{"result_code":${reply.resultCode},"result_msg":${q(reply.resultMsg)},"type":"report_version_rsp","version":${q(reply.version)}}`;
}

// ---------- decoders ----------

const MD5 = /^[0-9a-fA-F]{32}$/;
const FAIL_CODES = new Set<number>(Object.values(OTA_FAIL));

function readVersion(value: unknown, where: string): DecodeResult<string> {
  if (typeof value !== 'string' || !isValidFirmwareVersion(value)) {
    return refused(`${where}: "version" must be a string of 1 to 32 characters`);
  }
  return decoded(value);
}

function readProgress(report: JsonObject): DecodeResult<OtaReport> {
  const version = readVersion(report['version'], 'report_progress');
  if (!version.ok) return version;
  const progress = report['progress'];
  if (!isObject(progress)) return refused('report_progress: "report.progress" must be an object');
  const state = progress['state'];
  switch (state) {
    case 'downloading': {
      const percent = looseInteger(progress['percent']);
      if (percent === undefined || percent < 0 || percent > 100) {
        return refused('report_progress: "percent" must be 0..100');
      }
      return decoded({ state, version: version.value, percent });
    }
    case 'burning': {
      // The delivery leg's progress when a gateway reports it; the SDKs send burning without.
      if (progress['percent'] === undefined) return decoded({ state, version: version.value });
      const percent = looseInteger(progress['percent']);
      if (percent === undefined || percent < 0 || percent > 100) return refused('report_progress: burning "percent" must be 0..100 when present');
      return decoded({ state, version: version.value, percent });
    }
    case 'done':
      return decoded({ state, version: version.value });
    case 'fail': {
      const code = looseInteger(progress['result_code']);
      if (code === undefined || !FAIL_CODES.has(code)) {
        return refused('report_progress: fail "result_code" must be -1..-5');
      }
      const msg = progress['result_msg'];
      const message = typeof msg === 'string' ? msg.slice(0, 256) : '';
      return decoded({ state, version: version.value, code: code as OtaFailCode, message });
    }
    default:
      return refused('report_progress: "state" must be downloading, burning, done or fail');
  }
}

/** For the hub side (emulator): what a device reported. */
export function decodeOtaDeviceMessage(payload: string | Uint8Array, options?: DecodeOptions): DecodeResult<OtaDeviceMessage> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const type = parsed.value['type'];
  const report = parsed.value['report'];
  if (type !== 'report_version' && type !== 'report_progress') {
    return refused(`unknown OTA report type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : type ?? null)}`);
  }
  if (!isObject(report)) return refused(`${type}: "report" must be an object`);
  if (type === 'report_version') {
    const version = readVersion(report['version'], type);
    if (!version.ok) return version;
    return decoded({ type, version: version.value });
  }
  const progress = readProgress(report);
  if (!progress.ok) return progress;
  return decoded({ type, report: progress.value });
}

/** For the gateway side: an update job or the answer to a version report. */
export function decodeOtaHubMessage(payload: string | Uint8Array, options?: DecodeOptions): DecodeResult<OtaHubMessage> {
  const parsed = parseJsonObject(payload, options);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const type = m['type'];
  if (type === 'update_firmware') return decoded(readUpdateFirmware(m));
  if (type === 'report_version_rsp') {
    const resultCode = looseInteger(m['result_code']);
    if (resultCode === undefined) return refused('report_version_rsp: "result_code" must be an integer');
    const msg = m['result_msg'];
    const version = m['version'];
    return decoded({
      type,
      resultCode,
      resultMsg: typeof msg === 'string' ? msg.slice(0, 256) : '',
      version: typeof version === 'string' ? version.slice(0, 32) : '',
    });
  }
  return refused(`unknown OTA message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : type ?? null)}`);
}

/** A job the gateway can run, or the reason it must not (kept with the version to report it under). */
function readUpdateFirmware(m: JsonObject): OtaHubMessage {
  const version = m['version'];
  const reportable = typeof version === 'string' && isValidFirmwareVersion(version) ? version : undefined;
  const refuse = (reason: string): RefusedFirmwareUpdate => ({ type: 'update_firmware_refused', version: reportable, reason: `update_firmware: ${reason}` });
  const versionProblem = firmwareVersionProblem(version);
  if (versionProblem) return refuse(versionProblem);
  const url = m['url'];
  const urlProblem = firmwareUrlProblem(url);
  if (urlProblem || typeof url !== 'string' || !/^\S+$/.test(url)) return refuse(urlProblem ?? 'the firmware url must not contain spaces');
  const md5 = m['md5sum'];
  if (typeof md5 !== 'string' || !MD5.test(md5)) return refuse('"md5sum" must be 32 hex digits');
  const size = looseInteger(m['file_size']);
  if (size === undefined || size < 1) return refuse('"file_size" must be a positive integer of bytes');
  return { type: 'update_firmware', job: { version: version as string, url, md5: md5.toLowerCase(), size } };
}
