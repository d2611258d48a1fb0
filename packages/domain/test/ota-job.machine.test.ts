import test from 'ava';
import {
  firmwareJob,
  isOtaFinished,
  nextOtaState,
  OTA_TRANSITIONS,
  otaLegProgress,
  otaNextStep,
  otaReportFor,
  otaSupersededReport,
  parseOtaJob,
  serializeOtaJob,
  shouldReplaceOtaJob,
  startOtaJob,
  StateCorruptError,
  subdeviceId,
  type JsonValue,
  type OtaEvent,
  type OtaJobState,
  type OtaPhase,
} from '../src/index.js';

const SUB = subdeviceId('ABCDEFGHIJ', 'sub1');
const JOB = firmwareJob({ version: '1.3.0', url: 'https://fw.test/a.bin', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 175436 });
const PHASES: OtaPhase[] = ['update_received', 'downloading', 'downloaded', 'delivering', 'burning', 'done', 'failed'];

const EVENTS: Record<OtaEvent['type'], OtaEvent> = {
  download_progress: { type: 'download_progress', percent: 40 },
  downloaded: { type: 'downloaded' },
  delivery_progress: { type: 'delivery_progress', percent: 30 },
  applying: { type: 'applying' },
  succeeded: { type: 'succeeded' },
  failed: { type: 'failed', code: -4, message: 'md5 mismatch' },
  final_reported: { type: 'final_reported' },
};

// The whole table: phase × event → next phase, or null when refused.
const EXPECTED: Record<OtaPhase, Record<OtaEvent['type'], OtaPhase | null>> = {
  update_received: { download_progress: 'downloading', downloaded: 'downloaded', delivery_progress: null, applying: null, succeeded: null, failed: 'failed', final_reported: null },
  downloading: { download_progress: 'downloading', downloaded: 'downloaded', delivery_progress: null, applying: null, succeeded: null, failed: 'failed', final_reported: null },
  downloaded: { download_progress: null, downloaded: null, delivery_progress: 'delivering', applying: 'burning', succeeded: null, failed: 'failed', final_reported: null },
  delivering: { download_progress: null, downloaded: null, delivery_progress: 'delivering', applying: 'burning', succeeded: 'done', failed: 'failed', final_reported: null },
  burning: { download_progress: null, downloaded: null, delivery_progress: null, applying: 'burning', succeeded: 'done', failed: 'failed', final_reported: null },
  done: { download_progress: null, downloaded: null, delivery_progress: null, applying: null, succeeded: null, failed: null, final_reported: 'done' },
  failed: { download_progress: null, downloaded: null, delivery_progress: null, applying: null, succeeded: null, failed: null, final_reported: 'failed' },
};

const at = (phase: OtaPhase, extra: Partial<OtaJobState> = {}): OtaJobState => ({
  ...startOtaJob(SUB, JOB, '1.2.0', 1000),
  phase,
  ...extra,
});

for (const phase of PHASES) {
  for (const [type, event] of Object.entries(EVENTS) as Array<[OtaEvent['type'], OtaEvent]>) {
    const expected = EXPECTED[phase][type];
    test(expected === null ? `ota: ${phase} refuses ${type}` : `ota: ${phase} + ${type} → ${expected}`, (t) => {
      const before = at(phase);
      const result = nextOtaState(before, event, 2000);
      if (expected === null) {
        t.false(result.accepted);
        t.is(result.state, before);
      } else {
        t.true(result.accepted);
        t.is(result.state.phase, expected);
        t.is(result.state.updatedAt, 2000);
      }
    });
  }
}

test('ota: the table covers every phase', (t) => {
  t.deepEqual(Object.keys(OTA_TRANSITIONS).sort(), [...PHASES].sort());
});

test('ota: startOtaJob begins at update_received, 0 %, not reported', (t) => {
  t.deepEqual(startOtaJob(SUB, JOB, '1.2.0', 5), {
    subdevice: SUB,
    job: JOB,
    fromVersion: '1.2.0',
    phase: 'update_received',
    percent: 0,
    finalReported: false,
    updatedAt: 5,
  });
});

test('ota: progress never goes backwards within a phase and is clamped to 0..100', (t) => {
  let s = at('downloading', { percent: 50 });
  s = nextOtaState(s, { type: 'download_progress', percent: 30 }, 1).state;
  t.is(s.percent, 50);
  s = nextOtaState(s, { type: 'download_progress', percent: 75.9 }, 1).state;
  t.is(s.percent, 75);
  s = nextOtaState(s, { type: 'download_progress', percent: 250 }, 1).state;
  t.is(s.percent, 100);
  t.is(nextOtaState(at('update_received'), { type: 'download_progress', percent: -5 }, 1).state.percent, 0);
  t.is(nextOtaState(at('update_received'), { type: 'download_progress', percent: Number.NaN }, 1).state.percent, 0);
});

test('ota: a new phase starts its progress from 0', (t) => {
  const downloaded = nextOtaState(at('downloading', { percent: 100 }), { type: 'downloaded' }, 1).state;
  t.is(downloaded.percent, 0);
  const delivering = nextOtaState(downloaded, { type: 'delivery_progress', percent: 10 }, 1).state;
  t.is(delivering.percent, 10);
  t.is(nextOtaState(delivering, { type: 'applying' }, 1).state.percent, 100);
  t.is(nextOtaState(at('burning'), { type: 'succeeded' }, 1).state.percent, 100);
});

test('ota: failed keeps code and message; final_reported marks the report as sent', (t) => {
  const failed = nextOtaState(at('delivering'), { type: 'failed', code: -5, message: 'flash error' }, 1).state;
  t.deepEqual(failed.failure, { code: -5, message: 'flash error' });
  t.false(failed.finalReported);
  const reported = nextOtaState(failed, { type: 'final_reported' }, 2).state;
  t.true(reported.finalReported);
  t.is(reported.phase, 'failed');
});

test('ota: isOtaFinished only for done and failed', (t) => {
  t.deepEqual(
    PHASES.filter((p) => isOtaFinished(at(p))),
    ['done', 'failed'],
  );
});

test('ota: otaNextStep says what a restarted coordinator must do in each phase', (t) => {
  t.is(otaNextStep(at('update_received')), 'download');
  t.is(otaNextStep(at('downloading')), 'download');
  t.is(otaNextStep(at('downloaded')), 'deliver');
  t.is(otaNextStep(at('delivering')), 'deliver');
  t.is(otaNextStep(at('burning')), 'await_verdict');
  t.is(otaNextStep(at('done')), 'report_final');
  t.is(otaNextStep(at('failed')), 'report_final');
  t.is(otaNextStep(at('done', { finalReported: true })), 'nothing');
  t.is(otaNextStep(at('failed', { finalReported: true })), 'nothing');
});

test('ota: otaReportFor gives the hub report due in each phase', (t) => {
  t.deepEqual(otaReportFor(at('update_received')), { state: 'downloading', version: '1.3.0', percent: 0 });
  t.deepEqual(otaReportFor(at('downloading', { percent: 37 })), { state: 'downloading', version: '1.3.0', percent: 37 });
  t.is(otaReportFor(at('downloaded')), undefined);
  t.is(otaReportFor(at('delivering')), undefined);
  t.deepEqual(otaReportFor(at('burning')), { state: 'burning', version: '1.3.0' });
  t.deepEqual(otaReportFor(at('done')), { state: 'done', version: '1.3.0' });
  t.deepEqual(otaReportFor(at('failed', { failure: { code: -2, message: 'HTTP 404' } })), {
    state: 'fail',
    version: '1.3.0',
    code: -2,
    message: 'HTTP 404',
  });
  // A failed state without a recorded failure still reports a burn failure, never nothing.
  t.deepEqual(otaReportFor(at('failed')), { state: 'fail', version: '1.3.0', code: -5, message: 'update failed' });
});

test('ota: shouldReplaceOtaJob keeps a running job for the same image and replaces otherwise', (t) => {
  t.true(shouldReplaceOtaJob(undefined, JOB));
  t.false(shouldReplaceOtaJob(at('downloading'), JOB));
  t.true(shouldReplaceOtaJob(at('downloading'), { ...JOB, version: '1.4.0' }));
  t.true(shouldReplaceOtaJob(at('downloading'), { ...JOB, md5: 'ffffffffffffffffffffffffffffffff' }));
  t.true(shouldReplaceOtaJob(at('done'), JOB));
  t.true(shouldReplaceOtaJob(at('failed'), JOB));
});

test('ota: a superseded job reports fail -5 naming the newer version, or its own unreported verdict', (t) => {
  for (const phase of ['update_received', 'downloading', 'downloaded', 'delivering', 'burning'] as const) {
    const report = otaSupersededReport(at(phase), '2.0.0');
    t.like(report, { state: 'fail', version: '1.3.0', code: -5 }, phase);
    t.regex(report?.state === 'fail' ? report.message : '', /superseded.*2\.0\.0.*phase/, phase);
  }
  t.deepEqual(otaSupersededReport(at('done'), '2.0.0'), { state: 'done', version: '1.3.0' });
  t.like(otaSupersededReport(at('failed', { failure: { code: -2, message: 'HTTP 404' } }), '2.0.0'), { state: 'fail', code: -2 });
  t.is(otaSupersededReport(at('done', { finalReported: true }), '2.0.0'), undefined, 'the hub already knows');
});

test('ota: the two legs of a job as its phase tells them', (t) => {
  t.deepEqual(otaLegProgress(at('update_received')), { download: 0, delivery: undefined });
  t.deepEqual(otaLegProgress(at('downloading', { percent: 37 })), { download: 37, delivery: undefined });
  t.deepEqual(otaLegProgress(at('downloaded')), { download: 100, delivery: undefined });
  t.deepEqual(otaLegProgress(at('delivering', { percent: 22 })), { download: 100, delivery: 22 });
  t.deepEqual(otaLegProgress(at('burning')), { download: 100, delivery: 100 });
  t.deepEqual(otaLegProgress(at('done')), { download: 100, delivery: 100 });
  t.deepEqual(otaLegProgress(at('failed')), { download: undefined, delivery: undefined });
});

test('ota: serialize then parse gives the same state back, for every phase', (t) => {
  for (const phase of PHASES) {
    const state = at(phase, { percent: 42, updatedAt: 123456, finalReported: phase === 'done' });
    const roundTrip = parseOtaJob('ota/abcdefghij/sub1', JSON.parse(JSON.stringify(serializeOtaJob(state))) as JsonValue);
    t.deepEqual(roundTrip, state, phase);
  }
  const failed = at('failed', { failure: { code: -3, message: 'URL expired' } });
  t.deepEqual(parseOtaJob('k', serializeOtaJob(failed)), failed);
});

test('ota: the serialised document is versioned and names the subdevice by key', (t) => {
  const doc = serializeOtaJob(at('downloading')) as Record<string, JsonValue>;
  t.is(doc['v'], 1);
  t.is(doc['subdevice'], 'ABCDEFGHIJ/sub1');
  t.false('failure' in doc);
});

test('ota: corrupt documents reject with StateCorruptError naming the key', (t) => {
  const good = serializeOtaJob(at('downloading')) as Record<string, JsonValue>;
  const job = good['job'] as Record<string, JsonValue>;
  const corrupt: Array<[string, JsonValue | undefined]> = [
    ['missing', undefined],
    ['null', null],
    ['array', [1, 2]],
    ['string', 'text'],
    ['wrong version', { ...good, v: 2 }],
    ['unknown phase', { ...good, phase: 'flying' }],
    ['phase not a string', { ...good, phase: 3 }],
    ['missing job', { ...good, job: null }],
    ['bad md5', { ...good, job: { ...job, md5: 'xyz' } }],
    ['bad url', { ...good, job: { ...job, url: 'ftp://x' } }],
    ['bad size', { ...good, job: { ...job, size: -1 } }],
    ['bad version', { ...good, job: { ...job, version: '' } }],
    ['bad subdevice', { ...good, subdevice: 'nope' }],
    ['bad percent', { ...good, percent: 'many' }],
    ['bad updatedAt', { ...good, updatedAt: 'soon' }],
    ['null updatedAt', { ...good, updatedAt: null }],
    ['null percent', { ...good, percent: null }],
    ['null size', { ...good, job: { ...job, size: null } }],
    ['bad failure code', { ...good, failure: { code: -9, message: 'x' } }],
    ['failure not an object', { ...good, failure: 'x' }],
  ];
  for (const [why, value] of corrupt) {
    const error = t.throws(() => parseOtaJob('ota/abcdefghij/sub1', value), { instanceOf: StateCorruptError }, why);
    t.is(error?.code, 'state.corrupt', why);
    t.regex(error?.message ?? '', /^state "ota\/abcdefghij\/sub1": /, why);
  }
});
