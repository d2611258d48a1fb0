import test from 'ava';
import { deviceHttpHeaders, deviceHttpStringToSign, signDeviceHttpRequest, verifyDeviceHttpRequest } from '../src/index.js';

// Vectors computed with Node's crypto from the formula in Tencent's "签名方法" document, as the
// Java SDK (TXMqttDynreg, TXMqttLogImpl) applies it; the body hashes were checked by hand.
const HOST = 'ap-guangzhou.gateway.tencentdevices.com';

test('dynamic registration: the string to sign and the signature with the product secret', (t) => {
  const input = {
    host: HOST,
    path: '/device/register',
    body: '{"ProductId":"ABCDEFGHIJ","DeviceName":"dev1"}',
    secret: 'Pr0dSecretKey1234567890a',
    timestamp: 1700000000,
    nonce: 12345,
  };
  t.is(
    deviceHttpStringToSign(input),
    `POST\n${HOST}\n/device/register\n\nhmacsha256\n1700000000\n12345\n441b0d5334b01cf675f639e9b1385dfdef0a2be539bfa2c58f230687b5541940`,
  );
  t.is(signDeviceHttpRequest(input), 'HjBWCC7bIbWVvrzY8y/ORe1Zi4a2+BLnyZBIwPN+JLA=');
});

test('log upload: signed with the device secret as text (not base64-decoded)', (t) => {
  const input = {
    host: HOST,
    path: '/device/reportlog',
    body: JSON.stringify({ DeviceName: 'dev1', Message: ['INF|2023-11-14 22:13:20|main|mqtt connect success.\n\f'], ProductId: 'ABCDEFGHIJ' }),
    secret: 'c2VjcmV0S2V5MTIzNDU2Nw==',
    timestamp: 1700000000,
    nonce: 12345,
  };
  t.true(deviceHttpStringToSign(input).endsWith('\n960046f96c822c8cf066b57c528e64ae30cf488877c15276dd5a5234e23683e3'));
  const headers = deviceHttpHeaders(input);
  t.deepEqual(headers, {
    'X-TC-Algorithm': 'hmacsha256',
    'X-TC-Timestamp': '1700000000',
    'X-TC-Nonce': '12345',
    'X-TC-Signature': 'dL8YB4q3QSWSx5gEEjrE3Iuz0rNc3u/7nA1Yui6Ia0s=',
  });
  t.false(JSON.stringify(headers).includes(input.secret));
});

test('verifyDeviceHttpRequest: the hub side refuses missing headers, a stale timestamp and a wrong signature, by code', (t) => {
  const input = { host: 'h.example', path: '/device/reportlog', body: '{"a":1}', secret: 'c2VjcmV0', timestamp: 1700000000, nonce: 7 };
  const headers = Object.fromEntries(Object.entries(deviceHttpHeaders(input)).map(([k, v]) => [k.toLowerCase(), v]));
  const request = { host: input.host, path: input.path, body: input.body, secret: input.secret, nowSec: 1700000010, maxSkewSec: 300, header: (n: string) => headers[n] };
  t.is(verifyDeviceHttpRequest(request), undefined);
  t.is(verifyDeviceHttpRequest({ ...request, header: (n: string) => (n === 'x-tc-nonce' ? undefined : headers[n]) })?.code, 'InvalidParameter.SignatureHeaders');
  t.is(verifyDeviceHttpRequest({ ...request, header: (n: string) => (n === 'x-tc-algorithm' ? 'md5' : headers[n]) })?.code, 'InvalidParameter.SignatureHeaders');
  t.is(verifyDeviceHttpRequest({ ...request, nowSec: 1700000301 })?.code, 'AuthFailure.TimestampExpired');
  t.is(verifyDeviceHttpRequest({ ...request, body: '{"a":2}' })?.code, 'AuthFailure.SignatureFailure');
  t.is(verifyDeviceHttpRequest({ ...request, path: '/device/register' })?.code, 'AuthFailure.SignatureFailure');
  t.is(verifyDeviceHttpRequest({ ...request, header: (n: string) => (n === 'x-tc-signature' ? 'short' : headers[n]) })?.code, 'AuthFailure.SignatureFailure');
});
