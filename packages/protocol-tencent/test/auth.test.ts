import test from 'ava';
import {
  bindSignatureText,
  buildKeyAuth,
  createBindEntry,
  isBase64Secret,
  keyAuthPassword,
  parseKeyAuthUsername,
  signBind,
  verifyBindSignature,
  verifyKeyAuth,
} from '../src/index.js';

const SECRET = 'c2VjcmV0S2V5MTIzNDU2Nw==';
const SUB = { productId: 'ABCDEFGHIJ', deviceName: 'sub1' };

test('password matches the fact-sheet test vector', (t) => {
  t.is(
    keyAuthPassword('ABCDEFGHIJgw1;21010406;a1B2c;1700000000', SECRET, 'hmacsha1'),
    'd7befd7b70ca899029b011d970152e872a235f26;hmacsha1',
  );
});

test('bind signature matches the fact-sheet test vector', (t) => {
  t.is(bindSignatureText(SUB, 12345, 1700000000), 'ABCDEFGHIJsub1;12345;1700000000');
  t.is(signBind(SUB, SECRET, 12345, 1700000000), 'ZYbEM1rnkGPXtCGBLtAjP5Hf6iw=');
  t.is(signBind(SUB, SECRET, 12345, 1700000000, 'hmacsha256').length, 44);
});

test('buildKeyAuth builds clientId, username and password from the identity', (t) => {
  const c = buildKeyAuth({ productId: 'ABCDEFGHIJ', deviceName: 'gw1', deviceSecret: SECRET, connId: 'a1B2c', expiry: 1700000000 });
  t.deepEqual(c, {
    clientId: 'ABCDEFGHIJgw1',
    username: 'ABCDEFGHIJgw1;21010406;a1B2c;1700000000',
    password: 'd7befd7b70ca899029b011d970152e872a235f26;hmacsha1',
  });
  const random = buildKeyAuth({ productId: 'ABCDEFGHIJ', deviceName: 'gw1', deviceSecret: SECRET });
  t.regex(random.username, /^ABCDEFGHIJgw1;21010406;[A-Za-z0-9]{5};\d{10}$/);
});

test('verifyKeyAuth accepts both methods and any sdkappid, refuses wrong secrets', (t) => {
  for (const signMethod of ['hmacsha1', 'hmacsha256'] as const) {
    const c = buildKeyAuth({ productId: 'ABCDEFGHIJ', deviceName: 'gw1', deviceSecret: SECRET, signMethod, sdkAppId: '12010126' });
    const v = verifyKeyAuth({ ...c, deviceSecret: SECRET });
    t.true(v.ok);
    if (v.ok) t.is(v.signMethod, signMethod);
    t.false(verifyKeyAuth({ ...c, deviceSecret: 'b3RoZXJTZWNyZXQ=' }).ok);
    t.false(verifyKeyAuth({ ...c, clientId: 'ABCDEFGHIJgw2', deviceSecret: SECRET }).ok);
    t.true(verifyKeyAuth({ ...c, password: new TextEncoder().encode(c.password), deviceSecret: SECRET }).ok);
  }
  t.false(verifyKeyAuth({ clientId: 'x', username: 'x', password: 'y', deviceSecret: SECRET }).ok);
  t.false(verifyKeyAuth({ clientId: 'x', username: 'x;1;abcde;1', password: 'abc;md5', deviceSecret: SECRET }).ok);
});

test('parseKeyAuthUsername accepts millisecond expiries (Python SDK)', (t) => {
  t.deepEqual(parseKeyAuthUsername('PIDdev;21010406;abcde;1700000000000'), {
    clientId: 'PIDdev',
    sdkAppId: '21010406',
    connId: 'abcde',
    expiry: 1700000000000,
  });
  t.is(parseKeyAuthUsername('a;b;c'), undefined);
  t.is(parseKeyAuthUsername('a;b;c;notanumber'), undefined);
});

test('bind entries verify against the right secret only', (t) => {
  for (const signMethod of ['hmacsha1', 'hmacsha256'] as const) {
    const entry = createBindEntry({ subdevice: SUB, secret: SECRET, signMethod });
    t.true(verifyBindSignature(entry, SECRET));
    t.false(verifyBindSignature(entry, 'wrong'));
    t.false(verifyBindSignature({ ...entry, random: entry.random + 1 }, SECRET));
  }
  t.false(JSON.stringify(createBindEntry({ subdevice: SUB, secret: SECRET })).includes(SECRET));
});

test('isBase64Secret accepts secrets as the console shows them and refuses anything else', (t) => {
  for (const good of [SECRET, 'c2VjcmV0', 'YQ==', 'a+b/c9==']) t.true(isBase64Secret(good), good);
  for (const bad of ['', 'not base64 !!', 'c2Vj cmV0', 'YQ===', '=YQ', 'c2VjcmV0\n', 'c2V-jcm_V0']) t.false(isBase64Secret(bad), JSON.stringify(bad));
});
