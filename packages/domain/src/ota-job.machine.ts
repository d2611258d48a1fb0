import { OTA_FAIL, StateCorruptError, type OtaFailCode } from './errors.js';
import { firmwareJob, type FirmwareJob, type OtaReport } from './firmware.js';
import type { JsonValue } from './ports/state-store.port.js';
import { parseSubdeviceKey, subdeviceKey, type SubdeviceId } from './subdevice-id.js';
import type { Transition } from './subdevice-session.machine.js';

/**
 * One subdevice's firmware update, from the hub's push to the subdevice's verdict. Pure: the
 * coordinator persists each state after every transition so a restart resumes in the same phase.
 */
export type OtaPhase =
  | 'update_received'
  | 'downloading'
  | 'downloaded'
  | 'delivering'
  | 'burning'
  | 'done'
  | 'failed';

export interface OtaJobState {
  readonly subdevice: SubdeviceId;
  readonly job: FirmwareJob;
  /** Version the subdevice reported before the update. */
  readonly fromVersion: string;
  readonly phase: OtaPhase;
  /** Percent of the current phase (download or delivery). */
  readonly percent: number;
  readonly failure?: { readonly code: OtaFailCode; readonly message: string };
  /** True once the final done/fail report reached the hub (so a restart does not resend). */
  readonly finalReported: boolean;
  readonly updatedAt: number;
}

export type OtaEvent =
  | { readonly type: 'download_progress'; readonly percent: number }
  | { readonly type: 'downloaded' }
  | { readonly type: 'delivery_progress'; readonly percent: number }
  | { readonly type: 'applying' }
  | { readonly type: 'succeeded' }
  | { readonly type: 'failed'; readonly code: OtaFailCode; readonly message: string }
  | { readonly type: 'final_reported' };

type EventType = OtaEvent['type'];

/** Which events each phase accepts. `failed` is accepted from every unfinished phase. */
export const OTA_TRANSITIONS: Readonly<Record<OtaPhase, Partial<Record<EventType, OtaPhase>>>> = {
  update_received: { download_progress: 'downloading', downloaded: 'downloaded', failed: 'failed' },
  downloading: { download_progress: 'downloading', downloaded: 'downloaded', failed: 'failed' },
  downloaded: { delivery_progress: 'delivering', applying: 'burning', failed: 'failed' },
  delivering: { delivery_progress: 'delivering', applying: 'burning', succeeded: 'done', failed: 'failed' },
  burning: { applying: 'burning', succeeded: 'done', failed: 'failed' },
  done: { final_reported: 'done' },
  failed: { final_reported: 'failed' },
};

export function startOtaJob(subdevice: SubdeviceId, job: FirmwareJob, fromVersion: string, now: number): OtaJobState {
  return { subdevice, job, fromVersion, phase: 'update_received', percent: 0, finalReported: false, updatedAt: now };
}

export function nextOtaState(state: OtaJobState, event: OtaEvent, now: number): Transition<OtaJobState> {
  const phase = OTA_TRANSITIONS[state.phase][event.type];
  if (phase === undefined) return { state, accepted: false };
  switch (event.type) {
    case 'download_progress':
    case 'delivery_progress': {
      const percent = clampPercent(event.percent);
      // Progress never goes backwards within a phase (a resumed download counts what it has).
      const base = phase === state.phase ? state.percent : 0;
      return { state: { ...state, phase, percent: Math.max(base, percent), updatedAt: now }, accepted: true };
    }
    case 'downloaded':
      return { state: { ...state, phase, percent: 0, updatedAt: now }, accepted: true };
    case 'applying':
      return { state: { ...state, phase, percent: 100, updatedAt: now }, accepted: true };
    case 'succeeded':
      return { state: { ...state, phase, percent: 100, updatedAt: now }, accepted: true };
    case 'failed':
      return {
        state: { ...state, phase, failure: { code: event.code, message: event.message }, updatedAt: now },
        accepted: true,
      };
    case 'final_reported':
      return { state: { ...state, finalReported: true, updatedAt: now }, accepted: true };
  }
}

/** Progress of the two legs of a job (0..100), or undefined for a leg not reached (or unknown after a failure). */
export interface OtaLegProgress {
  readonly download: number | undefined;
  readonly delivery: number | undefined;
}

/** What a job's phase and percent say about each leg, for status and metrics. */
export function otaLegProgress(state: OtaJobState): OtaLegProgress {
  switch (state.phase) {
    case 'update_received':
      return { download: 0, delivery: undefined };
    case 'downloading':
      return { download: state.percent, delivery: undefined };
    case 'downloaded':
      return { download: 100, delivery: undefined };
    case 'delivering':
      return { download: 100, delivery: state.percent };
    case 'burning':
    case 'done':
      return { download: 100, delivery: 100 };
    case 'failed':
      return { download: undefined, delivery: undefined };
  }
}

export function isOtaFinished(state: OtaJobState): boolean {
  return state.phase === 'done' || state.phase === 'failed';
}

/** What a coordinator must do with a job it finds (at start or after a restart). */
export type OtaNextStep = 'download' | 'deliver' | 'await_verdict' | 'report_final' | 'nothing';

export function otaNextStep(state: OtaJobState): OtaNextStep {
  switch (state.phase) {
    case 'update_received':
    case 'downloading':
      return 'download';
    case 'downloaded':
    case 'delivering':
      return 'deliver';
    case 'burning':
      return 'await_verdict';
    case 'done':
    case 'failed':
      return state.finalReported ? 'nothing' : 'report_final';
  }
}

/**
 * What the hub should hear about this state, or undefined when nothing is due
 * (download progress is reported by the coordinator, rate-limited).
 */
export function otaReportFor(state: OtaJobState): OtaReport | undefined {
  const version = state.job.version;
  switch (state.phase) {
    case 'update_received':
      return { state: 'downloading', version, percent: 0 };
    case 'downloading':
      return { state: 'downloading', version, percent: state.percent };
    case 'burning':
      return { state: 'burning', version };
    case 'done':
      return { state: 'done', version };
    case 'failed':
      return {
        state: 'fail',
        version,
        code: state.failure?.code ?? OTA_FAIL.upgradeFailed,
        message: state.failure?.message ?? 'update failed',
      };
    default:
      return undefined;
  }
}

/**
 * What the hub hears about a job a newer push replaced: its own verdict when it had one that the
 * hub has not heard yet, otherwise `fail` -5 saying which version superseded it (the hub's codes
 * have none for "cancelled"; -5 is its generic failure and the message says why). Undefined when
 * the hub already knows how the job ended.
 */
export function otaSupersededReport(state: OtaJobState, byVersion: string): OtaReport | undefined {
  if (isOtaFinished(state)) return state.finalReported ? undefined : otaReportFor(state);
  return {
    state: 'fail',
    version: state.job.version,
    code: OTA_FAIL.upgradeFailed,
    message: `superseded: a newer update (to ${byVersion}) was pushed for this subdevice; this one was cancelled in phase ${state.phase}`,
  };
}

/** A new push for the same subdevice: replace the job unless it is the same image still running. */
export function shouldReplaceOtaJob(current: OtaJobState | undefined, incoming: FirmwareJob): boolean {
  if (!current) return true;
  if (isOtaFinished(current)) return true;
  return current.job.md5 !== incoming.md5 || current.job.version !== incoming.version;
}

function clampPercent(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.max(0, Math.min(100, Math.floor(p)));
}

const PHASES: readonly OtaPhase[] = Object.keys(OTA_TRANSITIONS) as OtaPhase[];
const FAIL_CODES: readonly number[] = Object.values(OTA_FAIL);

export function serializeOtaJob(state: OtaJobState): JsonValue {
  const out: { [key: string]: JsonValue } = {
    v: 1,
    subdevice: subdeviceKey(state.subdevice),
    job: { version: state.job.version, url: state.job.url, md5: state.job.md5, size: state.job.size },
    fromVersion: state.fromVersion,
    phase: state.phase,
    percent: state.percent,
    finalReported: state.finalReported,
    updatedAt: state.updatedAt,
  };
  if (state.failure) out['failure'] = { code: state.failure.code, message: state.failure.message };
  return out;
}

/** Parses a persisted job; throws StateCorruptError (with the key) on anything unexpected. */
export function parseOtaJob(key: string, value: JsonValue | undefined): OtaJobState {
  const fail = (why: string): never => {
    throw new StateCorruptError(key, why);
  };
  if (!isRecord(value) || value['v'] !== 1) return fail('not an OTA job document (v1)');
  const phase = value['phase'];
  if (typeof phase !== 'string' || !PHASES.includes(phase as OtaPhase)) return fail(`unknown phase ${JSON.stringify(phase)}`);
  const job = value['job'];
  if (!isRecord(job)) return fail('missing job');
  let parsedJob: FirmwareJob;
  let subdevice: SubdeviceId;
  try {
    parsedJob = firmwareJob({
      version: str(job['version']),
      url: str(job['url']),
      md5: str(job['md5']),
      size: num(job['size']),
    });
    subdevice = parseSubdeviceKey(str(value['subdevice']));
  } catch (error) {
    return fail(error instanceof Error ? error.message : 'invalid job');
  }
  const percent = num(value['percent']);
  const updatedAt = num(value['updatedAt']);
  if (!Number.isFinite(percent) || !Number.isFinite(updatedAt)) return fail('bad percent or updatedAt');
  let failure: OtaJobState['failure'];
  const f = value['failure'];
  if (f !== undefined) {
    if (!isRecord(f) || !FAIL_CODES.includes(Number(f['code']))) return fail('bad failure');
    failure = { code: Number(f['code']) as OtaFailCode, message: str(f['message']) };
  }
  return {
    subdevice,
    job: parsedJob,
    fromVersion: str(value['fromVersion']),
    phase: phase as OtaPhase,
    percent,
    ...(failure ? { failure } : {}),
    finalReported: value['finalReported'] === true,
    updatedAt,
  };
}

function isRecord(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Only real numbers count: `Number(null)` would quietly turn a damaged field into 0. */
function num(v: JsonValue | undefined): number {
  return typeof v === 'number' ? v : Number.NaN;
}

function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : '';
}
