import test from 'ava';
import { createDynregRequest, decryptDynregPayload } from '@iotgw/protocol-tencent';
import { sampleRegistry, startHub, type Fixture } from './helpers.js';

const PRODUCT = { productId: 'SB00000009', productSecret: 'zeroTouchProductSecret42', dynamicRegistration: true };

async function register(fx: Fixture, deviceName: string, productSecret = PRODUCT.productSecret, productId = PRODUCT.productId) {
  const url = new URL('/device/register', fx.hub.urls.http);
  const request = createDynregRequest({ device: { productId, deviceName }, productSecret, host: url.host });
  const res = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  return { status: res.status, json: (await res.json()) as { Response: { Len?: number; Payload?: string; Error?: { Code: string; Message: string }; RequestId: string } } };
}

async function admin(fx: Fixture, method: string, path: string, body?: unknown) {
  const res = await fetch(`${fx.hub.urls.http}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.hub.adminToken}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('POST /device/register creates the device and answers its secret encrypted with the product secret; again gives the same secret', async (t) => {
  const fx = await startHub({ ...sampleRegistry(), products: [PRODUCT] });
  t.teardown(() => fx.cleanup());
  const first = await register(fx, 'auto1');
  t.is(first.status, 200);
  t.is(first.json.Response.Error, undefined);
  const credentials = decryptDynregPayload(first.json.Response.Payload ?? '', PRODUCT.productSecret, first.json.Response.Len);
  t.is(credentials.encryptionType, 2);
  const secret = credentials.encryptionType === 2 ? credentials.psk : '';
  t.is(fx.hub.registry.get(PRODUCT.productId, 'auto1')?.deviceSecret, secret);
  const again = await register(fx, 'auto1');
  t.deepEqual(decryptDynregPayload(again.json.Response.Payload ?? '', PRODUCT.productSecret), credentials);
});

test('a wrong product secret, an unknown product and a product with registration off are refused with the reason named', async (t) => {
  const fx = await startHub({ ...sampleRegistry(), products: [PRODUCT] });
  t.teardown(() => fx.cleanup());
  const wrong = await register(fx, 'auto2', 'notTheProductSecret0000');
  t.is(wrong.json.Response.Error?.Code, 'AuthFailure.SignatureFailure');
  t.false(JSON.stringify(wrong.json).includes(PRODUCT.productSecret));
  t.is(fx.hub.registry.get(PRODUCT.productId, 'auto2'), undefined, 'nothing created');
  t.is((await register(fx, 'auto2', PRODUCT.productSecret, 'SB00000008')).json.Response.Error?.Code, 'ResourceNotFound.ProductNotExist');

  // The console's switch, through the admin API (the secret is kept, never returned).
  const off = await admin(fx, 'POST', '/api/products', { productId: PRODUCT.productId, dynamicRegistration: false });
  t.deepEqual(off.json['products'], [{ productId: PRODUCT.productId, dynamicRegistration: false }]);
  t.is((await register(fx, 'auto2')).json.Response.Error?.Code, 'UnauthorizedOperation.DynamicRegistrationDisabled');
  await admin(fx, 'POST', '/api/products', { productId: PRODUCT.productId, dynamicRegistration: true });
  t.is((await register(fx, 'auto2')).json.Response.Error, undefined);
  const listed = await admin(fx, 'GET', '/api/products');
  t.false(JSON.stringify(listed.json).includes(PRODUCT.productSecret));
});
