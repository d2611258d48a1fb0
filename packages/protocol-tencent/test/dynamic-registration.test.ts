import test from 'ava';
import {
  createDynregRequest,
  decryptDynregPayload,
  dynregBody,
  dynregStringToSign,
  encryptDynregPayload,
  DYNREG_PATH,
  verifyDeviceHttpRequest,
} from '../src/index.js';

// Vectors from the fact sheet (hub-breadth-protocol.md §11), computed with node 20 crypto from the
// algorithms of the official docs and the Python/Java SDKs; the last one is the docs' own example.
const DEVICE = { productId: 'ABCDEFGHIJ', deviceName: 'dev1' };
const PRODUCT_SECRET = 'Pr0dSecretKey1234567890a';
const HOST = 'ap-guangzhou.gateway.tencentdevices.com';

test('request body and StringToSign match the vector', (t) => {
  const body = dynregBody(DEVICE);
  t.is(body, '{"ProductId":"ABCDEFGHIJ","DeviceName":"dev1"}');
  t.is(
    dynregStringToSign({ host: HOST, timestamp: 1700000000, nonce: 12345, body }),
    'POST\nap-guangzhou.gateway.tencentdevices.com\n/device/register\n\nhmacsha256\n1700000000\n12345\n441b0d5334b01cf675f639e9b1385dfdef0a2be539bfa2c58f230687b5541940',
  );
});

test('X-TC-Signature matches the vector and verifies only with the right product secret', (t) => {
  const request = createDynregRequest({ device: DEVICE, productSecret: PRODUCT_SECRET, host: HOST, timestamp: 1700000000, nonce: 12345 });
  t.is(request.headers['x-tc-signature'], 'HjBWCC7bIbWVvrzY8y/ORe1Zi4a2+BLnyZBIwPN+JLA=');
  t.is(request.headers['x-tc-algorithm'], 'hmacsha256');
  t.is(request.headers['x-tc-timestamp'], '1700000000');
  t.is(request.headers['x-tc-nonce'], '12345');
  const signed = { host: HOST, path: DYNREG_PATH, body: request.body, header: (name: string) => request.headers[name], nowSec: 1700000000, maxSkewSec: 300 };
  t.is(verifyDeviceHttpRequest({ ...signed, secret: PRODUCT_SECRET }), undefined);
  t.is(verifyDeviceHttpRequest({ ...signed, secret: 'wrongSecretKey1234567890' })?.code, 'AuthFailure.SignatureFailure');
  t.is(verifyDeviceHttpRequest({ ...signed, secret: PRODUCT_SECRET, body: dynregBody({ ...DEVICE, deviceName: 'dev2' }) })?.code, 'AuthFailure.SignatureFailure');
});

test('AES payload matches the vector (53 bytes, zero padded) and round-trips', (t) => {
  const credentials = { encryptionType: 2 as const, psk: 'c2VjcmV0S2V5MTIzNDU2Nw==' };
  const sealed = encryptDynregPayload(credentials, PRODUCT_SECRET);
  t.is(sealed.len, 53);
  t.is(sealed.payload, 'VEnUO8m42KYiyOBLO4bWVEf4Fj6wqfjIUeIfaq05jhpueq9gP0jaqN37/wmq6dycreX0eRihPZjljZw9oYTdtA==');
  t.deepEqual(decryptDynregPayload(sealed.payload, PRODUCT_SECRET, sealed.len), credentials);
  t.deepEqual(decryptDynregPayload(sealed.payload, PRODUCT_SECRET), credentials);
});

test("the docs' own encrypted reply decrypts to its PSK", (t) => {
  const payload = 's6FB3a1BA/YYbcmSE12XpeDVmQNDcf1QgVD141RRbmmAnFwQfp1ECAu5O016mCOvYlJJ6V59yM4OqQSiWphfTg==';
  t.deepEqual(decryptDynregPayload(payload, 'hzvf5LF9S0isvBhDSauWMaIk'), { encryptionType: 2, psk: 'lDZ6Uqt+I9E0wW7rvDUs7Q==' });
});

test('a wrong product secret or a short one is a clear error without the bytes', (t) => {
  const sealed = encryptDynregPayload({ encryptionType: 2, psk: 'c2VjcmV0S2V5MTIzNDU2Nw==' }, PRODUCT_SECRET);
  const error = t.throws(() => decryptDynregPayload(sealed.payload, 'another-product-secret!!'));
  t.regex(error?.message ?? '', /product secret right/);
  t.throws(() => decryptDynregPayload(sealed.payload, 'short'), { message: /at least 16 characters/ });
  t.throws(() => decryptDynregPayload('abc', PRODUCT_SECRET), { message: /not AES blocks/ });
});
