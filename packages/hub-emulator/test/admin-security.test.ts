import test from 'ava';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEmulator } from '../src/index.js';
import { startHub, type Fixture } from './helpers.js';

const json = (hub: HubEmulator, extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', authorization: `Bearer ${hub.adminToken}`, ...extra });

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
}

test('every admin route and the console need the token: none or a wrong one is 401 and changes nothing', async (t) => {
  const fx = await startHub();
  try {
    const base = fx.hub.urls.http;
    const before = JSON.stringify(fx.hub.registry.list());
    const body = JSON.stringify({ productId: 'SB00000009', deviceName: 'evil', deviceSecret: 'c2VjcmV0' });
    const attempts: Array<Record<string, string>> = [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', authorization: 'Bearer wrong-token-wrong-token' }];
    for (const headers of attempts) {
      t.is(await status(`${base}/api/devices`, { headers }), 401);
      t.is(await status(`${base}/api/state`, { headers }), 401);
      t.is(await status(`${base}/api/events`, { headers }), 401);
      t.is(await status(`${base}/api/devices`, { method: 'POST', headers, body }), 401);
      t.is(await status(`${base}/api/bind`, { method: 'POST', headers, body: JSON.stringify({ gateway: 'GW00000002/gw2', subdevice: 'SB00000001/test1' }) }), 401);
      t.is(await status(`${base}/api/firmware?version=1.0.0`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: 'x' }), 401);
    }
    const page = await fetch(`${base}/`);
    t.is(page.status, 401);
    t.regex(await page.text(), /needs its token: open the console URL/);
    const refused = (await (await fetch(`${base}/api/devices`)).json()) as { code: string };
    t.is(refused.code, 'unauthorized');
    t.is(JSON.stringify(fx.hub.registry.list()), before);
    t.false(fx.hub.registry.isBound('GW00000002/gw2', 'SB00000001/test1'));
  } finally {
    await fx.cleanup();
  }
});

test('the console URL carries a random token; the page passes it on; Bearer and ?token= both work', async (t) => {
  const fx = await startHub();
  const other = await startHub();
  try {
    t.regex(fx.hub.adminToken, /^[\w-]{32}$/);
    t.not(fx.hub.adminToken, other.hub.adminToken, 'random per start');
    t.is(fx.hub.urls.console, `${fx.hub.urls.http}/?token=${fx.hub.adminToken}`);
    const page = await fetch(fx.hub.urls.console);
    t.is(page.status, 200);
    t.is(page.headers.get('referrer-policy'), 'no-referrer');
    t.regex(await page.text(), /<title>iotgw hub emulator<\/title>/);
    t.is(await status(`${fx.hub.urls.http}/api/devices`, { headers: { authorization: `Bearer ${fx.hub.adminToken}` } }), 200);
    t.is(await status(`${fx.hub.urls.http}/api/devices?token=${fx.hub.adminToken}`), 200);
    t.is(await status(`${fx.hub.urls.http}/api/devices?token=${other.hub.adminToken}`), 401);
    // The favicon is the one thing served without it (browsers fetch it bare).
    const icon = await fetch(`${fx.hub.urls.http}/favicon.ico`);
    t.is(icon.status, 200);
    t.is(icon.headers.get('content-type'), 'image/svg+xml');
  } finally {
    await fx.cleanup();
    await other.cleanup();
  }
});

test('a token given at start is used; one too short to be a secret is refused at start', async (t) => {
  const token = 'my-dev-token-0123456789';
  const fx = await startHub(undefined, { adminToken: token });
  try {
    t.is(fx.hub.adminToken, token);
    t.is(await status(`${fx.hub.urls.http}/api/devices`, { headers: { authorization: `Bearer ${token}` } }), 200);
  } finally {
    await fx.cleanup();
  }
  await t.throwsAsync(HubEmulator.start({ mqttPort: 0, httpPort: 0, adminToken: 'short' }), { code: 'validation.invalid', message: /16 to 128 characters/ });
});

test('request bodies are JSON only: text/plain or a form post is 415 and changes nothing (no CSRF from a web page)', async (t) => {
  const fx = await startHub();
  try {
    const base = fx.hub.urls.http;
    const body = JSON.stringify({ gateway: 'GW00000002/gw2', subdevice: 'SB00000001/test1' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(`${base}/api/bind`, { method: 'POST', headers: json(fx.hub, { 'content-type': type }), body });
      t.is(res.status, 415, type);
      t.regex(((await res.json()) as { error: string }).error, /must be application\/json/);
    }
    const none = await fetch(`${base}/api/bind`, { method: 'POST', headers: { authorization: `Bearer ${fx.hub.adminToken}` }, body: new Blob([body]) });
    t.is(none.status, 415);
    t.false(fx.hub.registry.isBound('GW00000002/gw2', 'SB00000001/test1'));
    // An upload is raw bytes, declared as such.
    t.is(await status(`${base}/api/firmware?version=1.0.0`, { method: 'PUT', headers: json(fx.hub, { 'content-type': 'text/plain' }), body: 'x' }), 415);
    t.is(fx.hub.catalog.list().length, 0);
    t.is(await status(`${base}/api/bind`, { method: 'POST', headers: json(fx.hub), body }), 200);
  } finally {
    await fx.cleanup();
  }
});

async function firmwareDirHub(): Promise<{ fx: Fixture; dir: string }> {
  const dir = join(await mkdtemp(join(tmpdir(), 'hub-fwdir-')), 'firmware');
  await mkdir(dir);
  const fx = await startHub(undefined, { firmwareDir: dir });
  return { fx: { ...fx, cleanup: async () => { await fx.cleanup(); await rm(join(dir, '..'), { recursive: true, force: true }); } }, dir };
}

test('without a firmware directory, registering by path is refused (403): {"path":"/etc/shadow"} reads nothing', async (t) => {
  const fx = await startHub();
  try {
    const res = await fetch(`${fx.hub.urls.http}/api/firmware`, { method: 'POST', headers: json(fx.hub), body: JSON.stringify({ path: '/etc/shadow', version: '1.0.0' }) });
    t.is(res.status, 403);
    t.regex(((await res.json()) as { error: string }).error, /registering firmware by path is off: upload the image/);
    t.is(fx.hub.catalog.list().length, 0);
    // The attack in the report went on to download it as fw2: there is nothing, and no valid link.
    t.is(await status(`${fx.hub.urls.http}/firmware/fw1?expires=9999999999`), 403);
  } finally {
    await fx.cleanup();
  }
});

test('with a firmware directory only files inside it register; absolute paths, .. and symlinks out are refused', async (t) => {
  const { fx, dir } = await firmwareDirHub();
  try {
    await writeFile(join(dir, 'app.bin'), 'image');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'b.bin'), 'image-b');
    await symlink(fx.registryPath, join(dir, 'registry-link.bin'));
    const register = (path: string) => fetch(`${fx.hub.urls.http}/api/firmware`, { method: 'POST', headers: json(fx.hub), body: JSON.stringify({ path, version: '1.0.0' }) });
    for (const path of ['/etc/shadow', '/etc/passwd', '../registry.json', 'sub/../../registry.json', fx.registryPath, 'registry-link.bin', 'sub', '.', 'missing.bin']) {
      const res = await register(path);
      t.is(res.status, 403, path);
      t.regex(((await res.json()) as { error: string }).error, /is not a file inside the firmware directory/, path);
    }
    t.is(fx.hub.catalog.list().length, 0);
    t.is((await register('app.bin')).status, 201);
    t.is((await register(join(dir, 'sub', 'b.bin'))).status, 201);
    t.deepEqual(fx.hub.catalog.list().map((f) => f.size), [5, 7]);
  } finally {
    await fx.cleanup();
  }
});

test('a firmware directory that does not exist is refused at start', async (t) => {
  await t.throwsAsync(HubEmulator.start({ mqttPort: 0, httpPort: 0, firmwareDir: '/nonexistent/firmware' }), { code: 'validation.invalid', message: /firmware directory \/nonexistent\/firmware does not exist/ });
});

test('an upload over maxFirmwareBytes is 413 and leaves nothing registered', async (t) => {
  const fx = await startHub(undefined, { maxFirmwareBytes: 1000 });
  try {
    const headers = json(fx.hub, { 'content-type': 'application/octet-stream' });
    t.is(await status(`${fx.hub.urls.http}/api/firmware?version=1.0.0`, { method: 'PUT', headers, body: Buffer.alloc(5000) }), 413);
    t.is(fx.hub.catalog.list().length, 0);
    t.is(await status(`${fx.hub.urls.http}/api/firmware?version=1.0.0`, { method: 'PUT', headers, body: Buffer.alloc(1000) }), 201);
  } finally {
    await fx.cleanup();
  }
});
