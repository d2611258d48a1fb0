import test from 'ava';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FirmwareError } from '@iotgw/domain';
import { HttpFirmwareStore } from '../src/index.js';
import { guardedRequestOptions } from '../src/source-guard.js';
import { withTempDir } from './helpers/temp-dir.js';

const MD5 = 'ad4615b866c13afb8b293a679bfa5dc4';

/** A server on this machine that counts requests and answers each with `answer`. */
async function countingServer(answer: (res: import('node:http').ServerResponse) => void): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('by default nothing on this machine or link-local is fetched: -3, and no request leaves', async (t) => {
  const server = await countingServer((res) => res.end('x'));
  t.teardown(() => server.close());
  await withTempDir(async (dataDir) => {
    const store = new HttpFirmwareStore({ dataDir });
    for (const host of ['127.0.0.1', 'localhost', '[::1]', '169.254.169.254', '0x7f.1']) {
      const error = await t.throwsAsync(store.obtain({ version: '1.0.0', url: `http://${host}:${server.port}/fw.bin`, md5: MD5, size: 1 }), { instanceOf: FirmwareError });
      t.is(error?.otaCode, -3, host);
      t.regex(error?.message ?? '', /refused: host .* is (this machine \(loopback\)|a link-local address)/, host);
    }
  });
  t.is(server.requests(), 0);
});

test('a host name that resolves to this machine is refused at lookup', async (t) => {
  const { dnsLookup } = guardedRequestOptions({ allowLoopback: false, allowLinkLocal: false });
  const error = await new Promise<Error | null>((resolve) => dnsLookup('localhost', {}, (e) => resolve(e)));
  t.true(error instanceof FirmwareError, String(error));
  t.regex(error?.message ?? '', /host localhost is this machine/);
  const allowed = guardedRequestOptions({ allowLoopback: true, allowLinkLocal: false });
  const address = await new Promise<string>((resolve, reject) => allowed.dnsLookup('localhost', {}, (e, a) => (e ? reject(e) : resolve(typeof a === 'string' ? a : JSON.stringify(a)))));
  t.regex(address, /^(127\.|::1)/);
  const all = await new Promise<unknown>((resolve, reject) => allowed.dnsLookup('localhost', { all: true }, (e, a) => (e ? reject(e) : resolve(a))));
  t.true(Array.isArray(all) && all.length > 0, JSON.stringify(all));
});

test('a redirect to a refused address ends the download with -3 and is not followed or retried', async (t) => {
  const server = await countingServer((res) => {
    res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
    res.end();
  });
  t.teardown(() => server.close());
  await withTempDir(async (dataDir) => {
    const store = new HttpFirmwareStore({ dataDir, sourceGuard: { allowLoopback: true }, retry: { attempts: 3, initialBackoffMs: 10 } });
    const error = await t.throwsAsync(store.obtain({ version: '1.0.0', url: `http://127.0.0.1:${server.port}/fw.bin`, md5: MD5, size: 1 }), { instanceOf: FirmwareError });
    t.is(error?.otaCode, -3);
    t.regex(error?.message ?? '', /a redirect to 169\.254\.169\.254 is a link-local address/);
  });
  t.is(server.requests(), 1, 'refused at once, not retried');
});
