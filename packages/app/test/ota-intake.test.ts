import 'reflect-metadata';
import test from 'ava';
import type { FirmwareJob } from '@iotgw/domain';
import { failReports, harness, progressStates, SUB_A, until } from './support/harness.js';
import { IMAGE, URL_V2 } from './support/ota.js';

const hostile: Array<[string, (good: FirmwareJob) => FirmwareJob, RegExp]> = [
  ['a version with path characters', (j) => ({ ...j, version: '../../etc/passwd' }), /must not contain "\/", "\\" or "\.\."/],
  ['a version with control characters', (j) => ({ ...j, version: '2.0\u001b[2J' }), /printable ASCII/],
  ['file_size 0 with the empty file\'s MD5', (j) => ({ ...j, size: 0, md5: 'd41d8cd98f00b204e9800998ecf8427e' }), /file_size 0/],
  ['an image above ota.maxImageBytes', (j) => ({ ...j, size: 10_000_000 }), /above the 1000000 bytes/],
  ['a URL on this machine (loopback)', (j) => ({ ...j, url: 'http://127.0.0.1:8080/api/firmware' }), /loopback.*ota\.allowLoopback/],
  ['a URL in any loopback spelling', (j) => ({ ...j, url: 'http://0x7f.1/fw.bin' }), /loopback/],
  ['a link-local URL (cloud metadata)', (j) => ({ ...j, url: 'http://169.254.169.254/latest/meta-data/' }), /link-local/],
  ['a file URL', (j) => ({ ...j, url: 'file:///etc/shadow' }), /http or https/],
];

for (const [what, spoil, why] of hostile) {
  test(`a push with ${what} is refused: never downloaded, fail -5 with the reason, logged once, the running job untouched`, async (t) => {
    const h = await harness({ ota: { maxImageBytes: 1_000_000 } });
    await h.gateway.start();
    h.link.attach(SUB_A, '1.0.0');
    const good = h.firmware.addImage(URL_V2, IMAGE, '2.0.0');
    h.firmware.pauseAt(100);
    h.hub.pushFirmwareUpdate(SUB_A, good);
    await h.firmware.whenPaused();
    const bad = spoil({ ...good, version: '3.0.0' });
    h.hub.pushFirmwareUpdate(SUB_A, bad);
    h.hub.pushFirmwareUpdate(SUB_A, bad);
    await until(() => failReports(h.hub, SUB_A).length > 0, 'the refusal reported');
    h.firmware.resume();
    await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'the running job went on to done');
    await h.idle();
    t.deepEqual(h.firmware.starts.map((s) => s.url), [URL_V2], 'nothing else was downloaded');
    const fails = failReports(h.hub, SUB_A);
    // Two pushes: one report, or two when the first had left before the second came.
    t.true(fails.length >= 1 && fails.length <= 2, `${fails.length} fail reports`);
    t.true(fails.every((f) => f.version === bad.version));
    t.is(fails[0]?.code, -5);
    t.regex(fails[0]?.message ?? '', /^refused by the gateway: /);
    t.regex(fails[0]?.message ?? '', why);
    const warnings = h.logger.lines.filter((l) => l.message.startsWith('refusing '));
    t.is(warnings.length, 1, 'logged once for two identical pushes');
    t.false(warnings[0]?.message.includes('\u001b') ?? true, 'no raw control character reaches the log');
    t.is(h.link.subdevice(SUB_A)?.version, '2.0.0');
    await h.gateway.dispose();
  });
}

test('loopback is fetched only when allowed, and never from the gateway\'s own control port', async (t) => {
  const h = await harness({ ota: { allowLoopback: true } });
  await h.gateway.start();
  h.gateway.service.ota.refuseLocalPort(7380);
  h.link.attach(SUB_A, '1.0.0');
  const local = h.firmware.addImage('http://127.0.0.1:8080/firmware/fw1', IMAGE, '2.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, local);
  await until(() => progressStates(h.hub, SUB_A).includes('version 2.0.0'), 'fetched from the emulator on loopback');
  const control = h.firmware.addImage('http://localhost:7380/subdevices', IMAGE, '3.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, control);
  await until(() => failReports(h.hub, SUB_A).length === 1, 'refused');
  t.regex(failReports(h.hub, SUB_A)[0]?.message ?? '', /own control endpoint \(localhost:7380\)/);
  t.deepEqual(h.firmware.starts.map((s) => s.url), ['http://127.0.0.1:8080/firmware/fw1']);
  await h.gateway.dispose();
});

test('an allow-list admits only its hosts', async (t) => {
  const h = await harness({ ota: { allowedHosts: ['*.cos.example.com'] } });
  await h.gateway.start();
  h.link.attach(SUB_A, '1.0.0');
  h.hub.pushFirmwareUpdate(SUB_A, h.firmware.addImage('https://elsewhere.test/fw.bin', IMAGE, '2.0.0'));
  await until(() => failReports(h.hub, SUB_A).length === 1, 'refused');
  t.regex(failReports(h.hub, SUB_A)[0]?.message ?? '', /elsewhere\.test is not in ota\.allowedHosts/);
  h.hub.pushFirmwareUpdate(SUB_A, h.firmware.addImage('https://bucket.cos.example.com/fw.bin', IMAGE, '3.0.0'));
  await until(() => progressStates(h.hub, SUB_A).includes('version 3.0.0'), 'listed host fetched');
  t.pass();
  await h.gateway.dispose();
});

test('an update the transport\'s codec refused is reported under its version; without a usable version it is only logged', async (t) => {
  const h = await harness();
  await h.gateway.start();
  h.hub.pushRefusedFirmwareUpdate(SUB_A, '1.0\n', 'update_firmware: firmware version "1.0\\n" must be printable ASCII');
  h.hub.pushRefusedFirmwareUpdate(SUB_A, undefined, 'update_firmware: firmware version "" must be 1 to 32 characters');
  await until(() => failReports(h.hub, SUB_A).length === 1 && h.logger.lines.filter((l) => l.message.startsWith('refusing')).length === 2, 'reported and logged');
  await h.idle();
  t.like(failReports(h.hub, SUB_A)[0], { version: '1.0\n', code: -5 });
  t.regex(h.logger.lines.find((l) => l.message.includes('cannot be told'))?.message ?? '', /refusing an update pushed for PRODUCTAAA\/sensor-a/);
  t.is(h.firmware.starts.length, 0);
  await h.gateway.dispose();
});
