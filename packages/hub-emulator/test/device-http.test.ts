import test from 'ava';
import { deviceHttpHeaders, encodeLogUpload } from '@iotgw/protocol-tencent';
import { GW, startHub } from './helpers.js';

async function upload(url: URL, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, code: ((await res.json()) as { Response: { Error?: { Code: string } } }).Response.Error?.Code };
}

test('POST /device/reportlog keeps a genuine upload; refuses a stale timestamp, a wrong secret, missing headers and an oversize body by code', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const url = new URL('/device/reportlog', fx.hub.urls.http);
  const body = encodeLogUpload(GW, [{ time: Date.now(), level: 'info', tag: 'iotgw', text: 'hello from afar' }]);
  const signed = (over: { secret?: string; timestamp?: number; body?: string } = {}) =>
    deviceHttpHeaders({ host: url.host, path: '/device/reportlog', body: over.body ?? body, secret: over.secret ?? GW.deviceSecret, timestamp: over.timestamp ?? Math.floor(Date.now() / 1000), nonce: 42 });

  t.deepEqual(await upload(url, body, signed()), { status: 200, code: undefined });
  t.deepEqual(await upload(url, body, signed({ timestamp: Math.floor(Date.now() / 1000) - 3600 })), { status: 401, code: 'AuthFailure.TimestampExpired' });
  t.deepEqual(await upload(url, body, signed({ secret: 'bm90LXRoZS1zZWNyZXQ=' })), { status: 401, code: 'AuthFailure.SignatureFailure' });
  t.deepEqual(await upload(url, body, {}), { status: 400, code: 'InvalidParameter.SignatureHeaders' });
  const huge = encodeLogUpload(GW, [{ time: Date.now(), level: 'info', tag: 'iotgw', text: 'x'.repeat(1024 * 1024 + 10) }]);
  t.deepEqual(await upload(url, huge, signed({ body: huge })), { status: 413, code: 'InvalidParameter.TooLarge' });
  // Only the genuine upload was kept.
  t.is(fx.hub.core.services.uploadedLogs.total, 1);
  t.regex(fx.hub.core.services.uploadedLogs.items[0]?.line ?? '', /hello from afar/);
});
