import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseByteRange } from '../src/index.js';
import { startHub, type Fixture } from './helpers.js';

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** True when the connection ended before Content-Length bytes arrived. */
  truncated: boolean;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (truncated: boolean) => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(!res.complete));
      res.on('aborted', () => finish(true));
      res.on('error', () => finish(true));
      res.on('close', () => finish(!res.complete));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withImage(size = 50_000): Promise<{ fx: Fixture; image: Buffer; url: string; id: string }> {
  const fx = await startHub();
  const image = randomBytes(size);
  const path = join(fx.dir, 'fw.bin');
  await writeFile(path, image);
  const entry = await fx.hub.registerFirmware({ path, version: '1.0.0' });
  const url = `${fx.hub.urls.http}${fx.hub.firmwareHttp.pathFor(entry.id, 600)}`;
  return { fx, image, url, id: entry.id };
}

test('register computes md5 and size; the whole file streams with 200', async (t) => {
  const { fx, image, url } = await withImage();
  try {
    const [entry] = fx.hub.catalog.list();
    t.is(entry!.size, image.length);
    t.is(entry!.md5, createHash('md5').update(image).digest('hex'));
    const res = await get(url);
    t.is(res.status, 200);
    t.true(res.body.equals(image));
    t.is(res.headers['accept-ranges'], 'bytes');
  } finally {
    await fx.cleanup();
  }
});

test('Range bytes=a-b, the SDK form bytes={offset}-{size}, open and suffix ranges give 206', async (t) => {
  const { fx, image, url } = await withImage();
  try {
    const a = await get(url, { Range: 'bytes=100-199' });
    t.is(a.status, 206);
    t.true(a.body.equals(image.subarray(100, 200)));
    t.is(a.headers['content-range'], `bytes 100-199/${image.length}`);
    const sdk = await get(url, { Range: `bytes=16384-${image.length}` });
    t.is(sdk.status, 206);
    t.true(sdk.body.equals(image.subarray(16384)));
    const zero = await get(url, { Range: `bytes=0-${image.length}` });
    t.true(zero.body.equals(image));
    const open = await get(url, { Range: 'bytes=49990-' });
    t.is(open.body.length, 10);
    const suffix = await get(url, { Range: 'bytes=-5' });
    t.true(suffix.body.equals(image.subarray(image.length - 5)));
    const beyond = await get(url, { Range: `bytes=${image.length}-` });
    t.is(beyond.status, 416);
  } finally {
    await fx.cleanup();
  }
});

test('parseByteRange table', (t) => {
  t.deepEqual(parseByteRange('bytes=0-99', 100), { start: 0, end: 99 });
  t.deepEqual(parseByteRange('bytes=10-100', 100), { start: 10, end: 99 });
  t.is(parseByteRange(undefined, 100), undefined);
  t.is(parseByteRange('items=0-1', 100), undefined);
  t.is(parseByteRange('bytes=5-2', 100), 'unsatisfiable');
  t.is(parseByteRange('bytes=-0', 100), 'unsatisfiable');
});

test('download links are signed with the expiry inside: expired, tampered, unsigned or forged links are 403; an unknown firmware is 404', async (t) => {
  const { fx, id, url, image } = await withImage(10);
  try {
    const base = fx.hub.urls.http;
    t.regex(url, /\/firmware\/fw1\?expires=\d+&sig=[\w-]{43}$/);
    t.true((await get(url)).body.equals(image));
    const link = new URL(url);
    const expires = Number(link.searchParams.get('expires'));
    const sig = link.searchParams.get('sig') ?? '';
    // Signed, but already expired.
    const expired = await get(`${base}${fx.hub.firmwareHttp.pathFor(id, -1)}`);
    t.is(expired.status, 403);
    t.regex(expired.body.toString(), /expired/);
    // The expiry stretched by a day: the signature no longer matches.
    t.is((await get(`${base}/firmware/${id}?expires=${expires + 86_400}&sig=${sig}`)).status, 403);
    // The signature changed by one character.
    const flipped = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A');
    t.is((await get(`${base}/firmware/${id}?expires=${expires}&sig=${flipped}`)).status, 403);
    // Another image's name on this link.
    t.is((await get(`${base}/firmware/fw2?expires=${expires}&sig=${sig}`)).status, 403);
    // The old, unsigned form and no query at all.
    t.is((await get(`${base}/firmware/${id}?expires=9999999999`)).status, 403);
    t.is((await get(`${base}/firmware/${id}`)).status, 403);
    // Signed for an id nothing is registered under.
    t.is((await get(`${base}${fx.hub.firmwareHttp.pathFor('nope', 600)}`)).status, 404);
    // The request log keeps no signature.
    t.false(JSON.stringify(fx.hub.firmwareHttp.requests).includes(sig));
  } finally {
    await fx.cleanup();
  }
});

test('a forged link does not use up an injected 500', async (t) => {
  const { fx, url, id } = await withImage(10);
  try {
    fx.hub.firmwareFaults = { fail500Count: 1 };
    t.is((await get(`${fx.hub.urls.http}/firmware/${id}?expires=9999999999&sig=x`)).status, 403);
    t.is((await get(url)).status, 500);
    t.is((await get(url)).status, 200);
  } finally {
    await fx.cleanup();
  }
});

test('two emulators sign with different keys: a link from one is refused by the other', async (t) => {
  const a = await withImage(10);
  const b = await withImage(10);
  try {
    const path = new URL(a.url).pathname + new URL(a.url).search;
    t.is((await get(`${b.fx.hub.urls.http}${path}`)).status, 403);
  } finally {
    await a.fx.cleanup();
    await b.fx.cleanup();
  }
});

test('fault: respond 500 N times, then serve', async (t) => {
  const { fx, image, url } = await withImage(1000);
  try {
    fx.hub.firmwareFaults = { fail500Count: 2 };
    t.is((await get(url)).status, 500);
    t.is((await get(url)).status, 500);
    const ok = await get(url);
    t.is(ok.status, 200);
    t.true(ok.body.equals(image));
  } finally {
    await fx.cleanup();
  }
});

test('fault: cut the connection after N bytes (a resume with Range then completes)', async (t) => {
  const { fx, image, url } = await withImage(200_000);
  try {
    fx.hub.firmwareFaults = { cutAfterBytes: 70_000 };
    const cut = await get(url);
    t.is(cut.status, 200);
    t.true(cut.truncated);
    t.is(cut.body.length, 70_000);
    t.true(cut.body.equals(image.subarray(0, 70_000)));
    fx.hub.firmwareFaults = {};
    const rest = await get(url, { Range: `bytes=${cut.body.length}-${image.length}` });
    t.true(Buffer.concat([cut.body, rest.body]).equals(image));
  } finally {
    await fx.cleanup();
  }
});

test('fault: corrupt one byte at an offset (also inside a range)', async (t) => {
  const { fx, image, url } = await withImage(100_000);
  try {
    fx.hub.firmwareFaults = { corruptByteAt: 70_001 };
    const res = await get(url);
    t.is(res.body.length, image.length);
    t.is(res.body[70_001], image[70_001]! ^ 0xff);
    t.true(res.body.subarray(0, 70_001).equals(image.subarray(0, 70_001)));
    const ranged = await get(url, { Range: 'bytes=70000-70009' });
    t.is(ranged.body[1], image[70_001]! ^ 0xff);
    t.is(ranged.body[0], image[70_000]);
  } finally {
    await fx.cleanup();
  }
});

test('fault: throttle bytes per second paces the body (lower bound only)', async (t) => {
  const { fx, image, url } = await withImage(30_000);
  try {
    fx.hub.firmwareFaults = { throttleBytesPerSec: 40_000 };
    const started = Date.now();
    const res = await get(url);
    const elapsed = Date.now() - started;
    t.true(res.body.equals(image));
    // 30 kB at 40 kB/s cannot take less than ~0.75 s; only the lower bound is asserted.
    t.true(elapsed >= 600, `took ${elapsed} ms`);
  } finally {
    await fx.cleanup();
  }
});
