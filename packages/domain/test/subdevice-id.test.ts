import test from 'ava';
import {
  isValidDeviceName,
  isValidProductId,
  parseSubdeviceKey,
  sameSubdevice,
  subdeviceId,
  subdeviceKey,
  ValidationError,
} from '../src/index.js';

test('a product id is exactly 10 upper-case letters or digits', (t) => {
  for (const ok of ['ABCDEFGHIJ', '0123456789', 'A1B2C3D4E5']) t.true(isValidProductId(ok), ok);
  for (const bad of ['', 'ABCDEFGHI', 'ABCDEFGHIJK', 'abcdefghij', 'ABCDE-GHIJ', 'ABCDEFGHI ']) t.false(isValidProductId(bad), bad);
});

test('a device name is 1 to 48 of letters, digits and _ - . : @', (t) => {
  for (const ok of ['a', 'sub1', 'Dev_1-2.3:4@5', 'x'.repeat(48)]) t.true(isValidDeviceName(ok), ok);
  for (const bad of ['', 'x'.repeat(49), 'has space', 'slash/no', 'ü', 'a#b']) t.false(isValidDeviceName(bad), bad);
});

test('subdeviceId builds a frozen id', (t) => {
  const id = subdeviceId('ABCDEFGHIJ', 'sub1');
  t.deepEqual(id, { productId: 'ABCDEFGHIJ', deviceName: 'sub1' });
  t.true(Object.isFrozen(id));
});

test('subdeviceId names the bad part in its ValidationError', (t) => {
  const badProduct = t.throws(() => subdeviceId('abc', 'sub1'), { instanceOf: ValidationError });
  t.regex(badProduct.message, /product id "abc"/);
  t.is(badProduct.code, 'validation.invalid');
  const badName = t.throws(() => subdeviceId('ABCDEFGHIJ', 'bad name'), { instanceOf: ValidationError });
  t.regex(badName.message, /device name "bad name"/);
  t.throws(() => subdeviceId(42 as unknown as string, 'x'), { instanceOf: ValidationError });
  t.throws(() => subdeviceId('ABCDEFGHIJ', null as unknown as string), { instanceOf: ValidationError });
});

test('subdeviceKey and parseSubdeviceKey round-trip', (t) => {
  const id = subdeviceId('ABCDEFGHIJ', 'dev:1@x');
  t.is(subdeviceKey(id), 'ABCDEFGHIJ/dev:1@x');
  t.deepEqual(parseSubdeviceKey(subdeviceKey(id)), id);
});

test('parseSubdeviceKey refuses keys without a slash or with bad parts', (t) => {
  t.regex(t.throws(() => parseSubdeviceKey('ABCDEFGHIJsub1'), { instanceOf: ValidationError }).message, /PRODUCTID\/deviceName/);
  t.throws(() => parseSubdeviceKey('short/sub1'), { instanceOf: ValidationError });
  t.throws(() => parseSubdeviceKey('ABCDEFGHIJ/'), { instanceOf: ValidationError });
  t.throws(() => parseSubdeviceKey('ABCDEFGHIJ/a/b'), { instanceOf: ValidationError });
});

test('sameSubdevice compares both parts', (t) => {
  const a = subdeviceId('ABCDEFGHIJ', 'sub1');
  t.true(sameSubdevice(a, { productId: 'ABCDEFGHIJ', deviceName: 'sub1' }));
  t.false(sameSubdevice(a, subdeviceId('ABCDEFGHIJ', 'sub2')));
  t.false(sameSubdevice(a, subdeviceId('ABCDEFGHIK', 'sub1')));
});
