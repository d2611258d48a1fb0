import test from 'ava';
import { CancelledError, FirmwareCancelledError, firmwareCancelReasonOf, firmwareJob, isValidFirmwareVersion, percentOf, ValidationError } from '../src/index.js';

const GOOD = { version: '1.3.0', url: 'https://fw.test/a.bin?sig=1', md5: 'AD4615B866C13AFB8B293A679BFA5DC4', size: 175436 };

test('firmwareJob validates, lower-cases the md5 and freezes', (t) => {
  const job = firmwareJob(GOOD);
  t.is(job.md5, 'ad4615b866c13afb8b293a679bfa5dc4');
  t.true(Object.isFrozen(job));
  t.is(firmwareJob({ ...GOOD, url: 'http://local/x', size: 1 }).size, 1);
});

test('firmwareJob refuses each bad field with a message naming it', (t) => {
  const cases: Array<[Partial<typeof GOOD> & Record<string, unknown>, RegExp]> = [
    [{ version: '' }, /firmware version/],
    [{ version: 'x'.repeat(33) }, /firmware version/],
    [{ url: 'ftp://fw.test/a.bin' }, /firmware url/],
    [{ url: 42 as unknown as string }, /firmware url/],
    [{ md5: 'abc' }, /firmware md5/],
    [{ md5: 7 as unknown as string }, /firmware md5/],
    [{ size: -1 }, /firmware size/],
    [{ size: 0 }, /firmware size 0 must be a positive/],
    [{ version: '../../etc/passwd' }, /firmware version/],
    [{ version: '1.0\u0007' }, /firmware version/],
    [{ url: 'https://u:p@fw.test/a.bin' }, /firmware url/],
    [{ size: 1.5 }, /firmware size/],
  ];
  for (const [patch, message] of cases) {
    const error = t.throws(() => firmwareJob({ ...GOOD, ...patch }), { instanceOf: ValidationError });
    t.regex(error.message, message);
  }
});

test('a firmware version is 1 to 32 characters', (t) => {
  t.true(isValidFirmwareVersion('1'));
  t.true(isValidFirmwareVersion('v'.repeat(32)));
  t.false(isValidFirmwareVersion(''));
  t.false(isValidFirmwareVersion('v'.repeat(33)));
  t.false(isValidFirmwareVersion(1 as unknown as string));
});

test('percentOf floors, caps at 100 and says 100 for an empty total', (t) => {
  t.is(percentOf(0, 100), 0);
  t.is(percentOf(37, 100), 37);
  t.is(percentOf(999, 1000), 99);
  t.is(percentOf(1000, 1000), 100);
  t.is(percentOf(2000, 1000), 100);
  t.is(percentOf(0, 0), 100);
});

test('why a firmware job was cancelled is found through the wrappers a deadline adds', (t) => {
  const superseded = new FirmwareCancelledError('superseded');
  t.is(firmwareCancelReasonOf(superseded), 'superseded');
  t.is(firmwareCancelReasonOf(new CancelledError('firmware 2.0.0 to X/y', { cause: new FirmwareCancelledError('shutdown') })), 'shutdown');
  t.is(firmwareCancelReasonOf(new CancelledError('x')), 'unspecified');
  t.is(firmwareCancelReasonOf(undefined), 'unspecified');
  t.is(superseded.code, 'operation.cancelled');
});
