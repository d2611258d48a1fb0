import test from 'ava';
import {
  DEFAULT_FIRMWARE_SOURCE_POLICY,
  firmwareJobProblem,
  firmwareUrlPolicyProblem,
  firmwareVersionProblem,
  hostKind,
  type FirmwareSourcePolicy,
} from '../src/index.js';

const JOB = { version: '1.3.0', url: 'https://fw.example.com/a.bin?sig=1', md5: 'ad4615b866c13afb8b293a679bfa5dc4', size: 175436 };
const policy = (patch: Partial<FirmwareSourcePolicy> = {}): FirmwareSourcePolicy => ({ ...DEFAULT_FIRMWARE_SOURCE_POLICY, ...patch });
const hostOf = (url: string): string => new URL(url).hostname;

test('versions: printable ASCII, 1..32 characters, no path characters, no control characters', (t) => {
  for (const ok of ['1', '1.3.0', 'v2.0.0-rc.1+build.7', 'release 7', 'x'.repeat(32), 'a.b']) t.is(firmwareVersionProblem(ok), undefined, ok);
  const bad: Array<[unknown, RegExp]> = [
    ['', /1 to 32/],
    ['x'.repeat(33), /1 to 32/],
    ['../../etc/passwd', /"\/", "\\" or "\.\."/],
    ['1.0/2', /"\/"/],
    ['1.0\\2', /"\/"/],
    ['1..0', /"\.\."/],
    ['1.0\n', /printable ASCII/],
    ['1.0\u0000', /printable ASCII/],
    ['1.0\u001b[31m', /printable ASCII/],
    ['版本1', /printable ASCII/],
    [' 1.0', /space/],
    ['1.0 ', /space/],
    [7, /string/],
  ];
  for (const [version, why] of bad) t.regex(firmwareVersionProblem(version) ?? 'accepted', why, JSON.stringify(version));
});

test('host kinds: loopback and link-local in every spelling the URL parser lets through', (t) => {
  const loopback = [
    'http://127.0.0.1/', 'http://127.1.2.3:8080/', 'http://localhost/', 'http://LOCALHOST./', 'http://fw.localhost/',
    'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://0.0.0.0/', 'http://[::1]/', 'http://[::]/',
    'http://[0:0:0:0:0:0:0:1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:2]/',
  ];
  for (const url of loopback) t.is(hostKind(hostOf(url)), 'loopback', url);
  for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/', 'http://[febf::1]/', 'http://[::ffff:169.254.0.1]/']) {
    t.is(hostKind(hostOf(url)), 'link_local', url);
  }
  for (const url of ['https://fw.example.com/', 'http://10.0.0.7/', 'http://192.168.1.2/', 'http://[2001:db8::1]/', 'http://128.0.0.1/', 'http://[fec0::1]/']) {
    t.is(hostKind(hostOf(url)), 'other', url);
  }
  // Resolved addresses come without brackets.
  t.is(hostKind('::1'), 'loopback');
  t.is(hostKind('127.0.0.53'), 'loopback');
  t.is(hostKind('fe80::abcd%eth0'), 'link_local');
});

test('the URL policy: scheme, loopback and link-local unless allowed, the control port always, the allow-list', (t) => {
  t.is(firmwareUrlPolicyProblem(JOB.url, policy()), undefined);
  t.regex(firmwareUrlPolicyProblem('ftp://fw.example.com/a.bin', policy()) ?? '', /http or https, not ftp/);
  t.regex(firmwareUrlPolicyProblem('file:///etc/shadow', policy()) ?? '', /http or https/);
  t.regex(firmwareUrlPolicyProblem('https://user:pw@fw.example.com/a', policy()) ?? '', /user name or password/);
  t.regex(firmwareUrlPolicyProblem('not a url', policy()) ?? '', /not a valid URL/);
  t.regex(firmwareUrlPolicyProblem('http://127.0.0.1:8080/firmware/fw1', policy()) ?? '', /loopback.*ota\.allowLoopback/);
  t.is(firmwareUrlPolicyProblem('http://127.0.0.1:8080/firmware/fw1', policy({ allowLoopback: true })), undefined);
  t.regex(firmwareUrlPolicyProblem('http://169.254.169.254/latest', policy({ allowLoopback: true })) ?? '', /link-local.*ota\.allowLinkLocal/);
  t.is(firmwareUrlPolicyProblem('http://169.254.169.254/latest', policy({ allowLinkLocal: true })), undefined);
  // The control endpoint is refused even where loopback is allowed, by any loopback spelling.
  const guarded = policy({ allowLoopback: true, refusedLocalPorts: [7380] });
  for (const url of ['http://127.0.0.1:7380/subdevices', 'http://localhost:7380/health', 'http://[::1]:7380/']) {
    t.regex(firmwareUrlPolicyProblem(url, guarded) ?? '', /own control endpoint/, url);
  }
  t.is(firmwareUrlPolicyProblem('http://fw.example.com:7380/a', guarded), undefined, 'another machine on that port is fine');
  // An allow-list admits only its hosts (and loopback when allowed).
  const listed = policy({ allowedHosts: ['fw.example.com', '*.cos.ap-guangzhou.myqcloud.com'] });
  t.is(firmwareUrlPolicyProblem('https://fw.example.com/a', listed), undefined);
  t.is(firmwareUrlPolicyProblem('https://bucket-1.cos.ap-guangzhou.myqcloud.com/a?sign=x', listed), undefined);
  t.regex(firmwareUrlPolicyProblem('https://cos.ap-guangzhou.myqcloud.com.evil.test/a', listed) ?? '', /not in ota\.allowedHosts/);
  t.regex(firmwareUrlPolicyProblem('https://evil.test/a', listed) ?? '', /not in ota\.allowedHosts/);
  t.is(firmwareUrlPolicyProblem('http://127.0.0.1:9/a', policy({ allowedHosts: ['127.0.0.1'] })), undefined, 'listed explicitly');
});

test('a job: version, size above 0 and below the maximum, md5, then the URL policy', (t) => {
  t.is(firmwareJobProblem(JOB, policy()), undefined);
  t.regex(firmwareJobProblem({ ...JOB, version: '../../etc/passwd' }, policy()) ?? '', /must not contain/);
  t.regex(firmwareJobProblem({ ...JOB, size: 0 }, policy()) ?? '', /file_size 0 must be a positive/);
  t.regex(firmwareJobProblem({ ...JOB, size: 2048 }, policy({ maxImageBytes: 1024 })) ?? '', /above the 1024 bytes.*ota\.maxImageBytes/);
  t.regex(firmwareJobProblem({ ...JOB, md5: 'nope' }, policy()) ?? '', /md5sum/);
  t.regex(firmwareJobProblem({ ...JOB, url: 'http://localhost:8080/x' }, policy()) ?? '', /loopback/);
});
