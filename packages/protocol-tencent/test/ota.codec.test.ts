import test from 'ava';
import type { OtaReport } from '@iotgw/domain';
import {
  decodeOtaDeviceMessage,
  decodeOtaHubMessage,
  describeOtaResult,
  encodeReportProgress,
  encodeReportVersion,
  encodeReportVersionReply,
  encodeUpdateFirmware,
} from '../src/index.js';

test('report_version encodes byte-exact and round-trips', (t) => {
  const wire = '{"type":"report_version","report":{"version":"0.1.0"}}';
  t.is(encodeReportVersion('0.1.0'), wire);
  t.deepEqual(decodeOtaDeviceMessage(wire), { ok: true, value: { type: 'report_version', version: '0.1.0' } });
});

const progress: Array<[OtaReport, string]> = [
  [
    { state: 'downloading', version: '1.0.0', percent: 37 },
    '{"type":"report_progress","report":{"progress":{"state":"downloading","percent":"37","result_code":"0","result_msg":""},"version":"1.0.0"}}',
  ],
  [
    { state: 'burning', version: '1.0.0' },
    '{"type":"report_progress","report":{"progress":{"state":"burning","result_code":"0","result_msg":""},"version":"1.0.0"}}',
  ],
  [
    // A gateway's delivery leg (gateway → subdevice): burning with a percent string.
    { state: 'burning', version: '1.0.0', percent: 42 },
    '{"type":"report_progress","report":{"progress":{"state":"burning","percent":"42","result_code":"0","result_msg":""},"version":"1.0.0"}}',
  ],
  [
    { state: 'done', version: '1.0.0' },
    '{"type":"report_progress","report":{"progress":{"state":"done","result_code":"0","result_msg":""},"version":"1.0.0"}}',
  ],
  [
    { state: 'fail', version: '1.0.0', code: -4, message: 'md5 mismatch' },
    '{"type":"report_progress","report":{"progress":{"state":"fail","result_code":"-4","result_msg":"md5 mismatch"},"version":"1.0.0"}}',
  ],
];

for (const [report, wire] of progress) {
  test(`report_progress ${report.state}${'percent' in report && report.state === 'burning' ? ' with percent' : ''} encodes byte-exact and round-trips`, (t) => {
    t.is(encodeReportProgress(report), wire);
    t.deepEqual(decodeOtaDeviceMessage(wire), { ok: true, value: { type: 'report_progress', report } });
  });
}

test('every fail code -1..-5 round-trips and has a meaning', (t) => {
  for (const code of [-1, -2, -3, -4, -5] as const) {
    const report: OtaReport = { state: 'fail', version: '2', code, message: 'm' };
    t.deepEqual(decodeOtaDeviceMessage(encodeReportProgress(report)), { ok: true, value: { type: 'report_progress', report } });
    t.notRegex(describeOtaResult(code), /undocumented/);
  }
});

test('progress numbers are accepted as plain numbers too', (t) => {
  const r = decodeOtaDeviceMessage('{"type":"report_progress","report":{"progress":{"state":"downloading","percent":5},"version":"1"}}');
  t.deepEqual(r, { ok: true, value: { type: 'report_progress', report: { state: 'downloading', version: '1', percent: 5 } } });
});

test('update_firmware and report_version_rsp encode byte-exact and decode', (t) => {
  const job = { version: '1.3.0', url: 'https://h/f.bin?sign=abc', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 175436 };
  const wire =
    '{"file_size":175436,"md5sum":"ad4615b866c13afb8b293a679bfa5dc4","type":"update_firmware","url":"https://h/f.bin?sign=abc","version":"1.3.0"}';
  t.is(encodeUpdateFirmware(job), wire);
  t.deepEqual(decodeOtaHubMessage(wire), { ok: true, value: { type: 'update_firmware', job } });
  const rsp = '{"result_code":0,"result_msg":"success","type":"report_version_rsp","version":"0.1.0"}';
  t.is(encodeReportVersionReply({ resultCode: 0, resultMsg: 'success', version: '0.1.0' }), rsp);
  t.deepEqual(decodeOtaHubMessage(rsp), {
    ok: true,
    value: { type: 'report_version_rsp', resultCode: 0, resultMsg: 'success', version: '0.1.0' },
  });
});

const MD5 = 'ad4615b866c13afb8b293a679bfa5dc4';
const update = (patch: Record<string, unknown>): string =>
  JSON.stringify({ type: 'update_firmware', url: 'https://fw.example/a.bin', md5sum: MD5, file_size: 1, version: '1', ...patch });

// Understood, but never to be run: decoded as a refusal, with the version the hub can be told.
const refusedUpdates: Array<[Record<string, unknown>, string | undefined, RegExp]> = [
  [{ url: 'ftp://x' }, '1', /http or https/],
  [{ url: 'file:///etc/shadow' }, '1', /http or https/],
  [{ url: 'https://u:p@fw.example/a' }, '1', /user name or password/],
  [{ url: 'https://fw.example/a b' }, '1', /spaces/],
  [{ url: 42 }, '1', /url must be a string/],
  [{ md5sum: 'zz' }, '1', /md5sum/],
  [{ file_size: -1 }, '1', /file_size/],
  [{ file_size: 0, md5sum: 'd41d8cd98f00b204e9800998ecf8427e' }, '1', /file_size/],
  [{ file_size: 'lots' }, '1', /file_size/],
  [{ version: '../../etc/passwd' }, '../../etc/passwd', /must not contain/],
  [{ version: '1.0\u001b[2J' }, '1.0\u001b[2J', /printable ASCII/],
  [{ version: '1.0\n' }, '1.0\n', /printable ASCII/],
  [{ version: '' }, undefined, /1 to 32/],
  [{ version: 'x'.repeat(33) }, undefined, /1 to 32/],
  [{ version: 7 }, undefined, /string/],
];
for (const [patch, version, why] of refusedUpdates) {
  test(`hub OTA decoder decodes update_firmware with ${JSON.stringify(patch)} as refused`, (t) => {
    const r = decodeOtaHubMessage(update(patch));
    if (!r.ok || r.value.type !== 'update_firmware_refused') return t.fail(JSON.stringify(r));
    t.is(r.value.version, version);
    t.regex(r.value.reason, why);
    t.regex(r.value.reason, /^update_firmware: /);
  });
}

const badHub = [
  '{"type":"report_version_rsp","result_code":"x"}',
  '{"type":"whatever"}',
  'null',
];
for (const wire of badHub) {
  test(`hub OTA decoder refuses ${wire}`, (t) => {
    const r = decodeOtaHubMessage(wire);
    t.false(r.ok);
    if (!r.ok) t.is(r.error.code, 'hub.protocol');
  });
}

const badDevice = [
  '{"type":"report_version","report":{"version":""}}',
  '{"type":"report_version","report":{"version":"123456789012345678901234567890123"}}',
  '{"type":"report_version"}',
  '{"type":"report_progress","report":{"progress":{"state":"downloading","percent":"101"},"version":"1"}}',
  '{"type":"report_progress","report":{"progress":{"state":"fail","result_code":"-9"},"version":"1"}}',
  '{"type":"report_progress","report":{"progress":{"state":"sleeping"},"version":"1"}}',
  '{"type":"report_progress","report":{"version":"1"}}',
];
for (const wire of badDevice) {
  test(`device OTA decoder refuses ${wire.slice(0, 80)}`, (t) => {
    t.false(decodeOtaDeviceMessage(wire).ok);
  });
}

test('a burning percent outside 0..100 is refused; a missing one is fine', (t) => {
  const wire = (percent: string) => `{"type":"report_progress","report":{"progress":{"state":"burning","percent":${percent}},"version":"1"}}`;
  for (const bad of ['"101"', '"-1"', '"x"', 'true']) t.false(decodeOtaDeviceMessage(wire(bad)).ok, bad);
  t.deepEqual(decodeOtaDeviceMessage(wire('"100"')), { ok: true, value: { type: 'report_progress', report: { state: 'burning', version: '1', percent: 100 } } });
});
