import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { buildKeyAuth } from '@iotgw/protocol-tencent';
import { HubEmulator } from '../src/index.js';
import { launch, openConsole } from './browser.js';
import { connectDevice, connectGateway, GW, GW2, startHub, sub, SUB1, type Fixture } from './helpers.js';

const REPORT = '$ota/report/SB00000001/test1';
const progress = (state: string, version: string, percent?: number) =>
  JSON.stringify({ type: 'report_progress', report: { progress: { state, ...(percent === undefined ? {} : { percent: String(percent) }), result_code: '0', result_msg: '' }, version } });

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

test('console: token-guarded, live devices/versions/jobs (both legs)/readings/messages/refusals, add-device form, favicon; screenshot', async (t) => {
  const fx: Fixture = await startHub();
  t.teardown(() => fx.cleanup());
  const context = await launch(t);
  if (!context) return t.pass();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const failed: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (res) => {
    if (res.status() >= 400) failed.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });

  // Without the token the console is refused and says how to get in.
  await page.goto(fx.hub.urls.http + '/');
  t.regex(await page.locator('body').innerText(), /needs its token: open the console URL/);
  t.deepEqual(failed.splice(0), ['401 /']);

  // The first state load is held back: "live" must mean the devices are shown, not only that the
  // event stream opened (CI once read 0 rows right after "live").
  await page.route('**/api/state*', async (route) => { await new Promise((r) => setTimeout(r, 400)); await route.continue(); }, { times: 1 });
  await page.goto(fx.hub.urls.console);
  await page.locator('#status', { hasText: 'live' }).waitFor();
  t.is(await page.locator('#devices tbody tr').count(), 4);
  const icon = await page.evaluate(async () => (await fetch('/favicon.ico')).status);
  t.is(icon, 200);

  // Add a device with the form (a random base64 secret), bind it, unbind it.
  await page.fill('#add-pid', 'SB00000002');
  await page.fill('#add-name', 'added1');
  await page.click('#add-random');
  const secret = await page.inputValue('#add-secret');
  t.regex(secret, /^[A-Za-z0-9+/]{22}==$/);
  await page.click('#add-btn');
  await page.locator('tr[data-device="SB00000002/added1"]').waitFor();
  t.is(fx.hub.registry.get('SB00000002', 'added1')?.deviceSecret, secret);
  const gw = await connectGateway(fx);
  const change = gw.next('change');
  await page.selectOption('#bind-sub', 'SB00000002/added1');
  await page.selectOption('#bind-gw', 'GW00000001/gw1');
  await page.click('#bind-btn');
  t.deepEqual((await change).payload, { status: 1, devices: [{ product_id: 'SB00000002', device_name: 'added1' }] });
  await page.locator('tr[data-binding="GW00000001/gw1|SB00000002/added1"]').waitFor();
  const unchange = gw.next('change');
  await page.click('tr[data-binding="GW00000001/gw1|SB00000002/added1"] button.unbind');
  t.is((await unchange).payload.status, 0);
  await page.locator('tr[data-binding="GW00000001/gw1|SB00000002/added1"]').waitFor({ state: 'detached' });

  // Session state and version are live: online, then a reported version, with no reload.
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  await page.locator('tr[data-device="SB00000001/test1"] .state', { hasText: 'online' }).waitFor();
  await gw.client.subscribeAsync(['SB00000001/test1/data', '$ota/update/SB00000001/test1'], { qos: 1 });
  await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"1.0.0"}}', { qos: 1 });
  await page.locator('tr[data-device="SB00000001/test1"] .version', { hasText: '1.0.0' }).waitFor();

  // Readings: numeric fields become small live charts (a timestamp field is not one).
  for (let i = 0; i < 30; i += 1) {
    await gw.client.publishAsync('SB00000001/test1/data', JSON.stringify({ temperature: 20 + (i % 7), humidity: 40 + i, at: Date.now() }), { qos: 1 });
  }
  const card = page.locator('.reading-card[data-device="SB00000001/test1"]');
  await card.locator('svg.chart[data-field="humidity"][data-points="30"]').waitFor();
  t.deepEqual(await card.locator('.series').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: Record<string, string> }).dataset['field'])), ['temperature', 'humidity']);
  t.is(await text(page, '.reading-card[data-device="SB00000001/test1"] .series[data-field="humidity"] .latest'), '69');
  t.true(((await card.locator('svg.chart[data-field="temperature"] polyline').getAttribute('points')) ?? '').split(' ').length === 30);

  // Messages: timestamped, scrolled to the newest, filterable.
  await page.locator('#messages .msg', { hasText: '"humidity":69' }).waitFor();
  t.regex(await text(page, '#messages .msg .msg-time'), /^\d{2}:\d{2}:\d{2}\.\d{3}$/);
  const scroll = await page.locator('#messages').evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));
  t.true(scroll.height > scroll.client, 'the list overflows');
  t.true(scroll.top + scroll.client >= scroll.height - 2, `scrolled to the newest: ${JSON.stringify(scroll)}`);
  await page.fill('#msg-filter', 'report_version_rsp');
  t.is(await page.locator('#messages .msg').count(), 1);
  t.regex(await text(page, '#messages .msg'), /← \$ota\/update\/SB00000001\/test1 .*report_version_rsp/);
  await page.fill('#msg-filter', '');

  // Send data: a subdevice is preselected, not the gateway.
  t.is(await page.inputValue('#data-device'), 'SB00000001/test1');
  const down = new Promise<string>((resolve) => gw.client.on('message', (topic, p) => topic === 'SB00000001/test1/data' && p.toString().includes('console') && resolve(p.toString())));
  await page.fill('#data-payload', '{"console":true}');
  await page.click('#data-btn');
  t.is(await down, '{"console":true}');
  await page.locator('#messages .msg.down', { hasText: '{"console":true}' }).waitFor();

  // Firmware: upload, push, then both legs move live and stay apart.
  await page.setInputFiles('#upload-file', { name: 'app.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4096, 1) });
  await page.fill('#upload-version', '2.0.0');
  await page.click('#upload-btn');
  await page.locator('#ota-fw option', { hasText: '2.0.0, 4096 B' }).waitFor({ state: 'attached' });
  await page.selectOption('#ota-sub', 'SB00000001/test1');
  await page.click('#ota-btn');
  await page.locator('#job-job1').waitFor();
  await gw.client.publishAsync(REPORT, progress('downloading', '2.0.0', 42), { qos: 1 });
  await page.locator('#job-job1 .job-state', { hasText: 'downloading 42%' }).waitFor();
  t.is(await text(page, '#job-job1 .job-download'), '42%');
  t.is(await text(page, '#job-job1 .job-delivery'), '—');
  await gw.client.publishAsync(REPORT, progress('downloading', '2.0.0', 100), { qos: 1 });
  await gw.client.publishAsync(REPORT, progress('burning', '2.0.0', 30), { qos: 1 });
  await page.locator('#job-job1 .job-state', { hasText: 'delivering 30%' }).waitFor();
  t.is(await text(page, '#job-job1 .job-download'), '100%');
  t.is(await text(page, '#job-job1 .job-delivery'), '30%');
  t.is(await page.locator('#job-job1 .job-delivery progress').evaluate((el) => (el as unknown as { value: number }).value), 30);
  await gw.client.publishAsync(REPORT, progress('burning', '2.0.0', 75), { qos: 1 });
  await page.locator('#job-job1 .job-delivery', { hasText: '75%' }).waitFor();
  await page.screenshot({ path: process.env['CONSOLE_SCREENSHOT_DELIVERING'] ?? join(fx.dir, 'delivering.png'), fullPage: true });
  await gw.client.publishAsync(REPORT, progress('done', '2.0.0'), { qos: 1 });
  await page.locator('#job-job1 .job-state', { hasText: 'done' }).waitFor();
  t.is(await text(page, '#job-job1 .job-delivery'), '100%');
  await gw.client.publishAsync(REPORT, '{"type":"report_version","report":{"version":"2.0.0"}}', { qos: 1 });
  await page.locator('tr[data-device="SB00000001/test1"] .version', { hasText: '2.0.0' }).waitFor();

  // Refusals: the full list with reasons, live.
  await t.throwsAsync(connectDevice(fx, GW, { password: 'deadbeef;hmacsha1' }));
  const gw2 = await mqtt.connectAsync(fx.hub.urls.mqtt, { ...buildKeyAuth(GW2), protocolVersion: 4, reconnectPeriod: 0 });
  fx.clients.push(gw2);
  await gw2.subscribeAsync('SB00000001/test1/data').catch(() => undefined);
  await page.locator('#refusals tr.refusal[data-kind="auth"]', { hasText: 'password signature does not match' }).waitFor();
  await page.locator('#refusals tr.refusal[data-kind="acl"]', { hasText: 'subscribe denied: SB00000001/test1 is not bound to GW00000002/gw2' }).waitFor();
  await page.locator('#refusal-counts', { hasText: 'auth failures: 1, ACL denials: 1' }).waitFor();

  const shot = await page.screenshot({ path: process.env['CONSOLE_SCREENSHOT'] ?? join(fx.dir, 'console.png'), fullPage: true });
  t.true(shot.length > 20_000, `a real picture (${shot.length} bytes)`);
  t.deepEqual(pageErrors, []);
  t.deepEqual(failed, [], 'no request failed (favicon included)');
});

test('console: a state snapshot that comes back after a job event does not put the job back where it was', async (t) => {
  const fx: Fixture = await startHub();
  t.teardown(() => fx.cleanup());
  const path = join(fx.dir, 'fw.bin');
  await writeFile(path, Buffer.alloc(4096, 2));
  const fw = await fx.hub.registerFirmware({ path, version: '2.0.0' });
  const gw = await connectGateway(fx);
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  const opened = await openConsole(t, fx.hub.urls.console);
  if (!opened) return t.pass();
  const { page, pageErrors } = opened;
  await page.locator('#ota-fw option', { hasText: '2.0.0, 4096 B' }).waitFor({ state: 'attached' });

  // The push re-reads /api/state: its answer is taken from the hub now and handed to the page only
  // after the job has moved on (as a slow connection would).
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let taken: () => void = () => {};
  const snapshotTaken = new Promise<void>((resolve) => (taken = resolve));
  await page.route('**/api/state*', async (route) => {
    const response = await route.fetch();
    taken();
    await held;
    await route.fulfill({ response });
  }, { times: 1 });
  await page.selectOption('#ota-sub', 'SB00000001/test1');
  await page.selectOption('#ota-fw', fw.id);
  await page.click('#ota-btn');
  await snapshotTaken;
  t.is(fx.hub.core.jobs[0]?.percent, 0, 'the snapshot has the job at 0 %');
  await gw.client.publishAsync(REPORT, progress('downloading', '2.0.0', 42), { qos: 1 });
  await page.locator('#job-job1 .job-state', { hasText: 'downloading 42%' }).waitFor();
  const stale = page.waitForResponse('**/api/state*');
  release();
  await stale;
  // Time for a second snapshot; the page's own safety net re-reads only every 10 s.
  await new Promise((r) => setTimeout(r, 500));
  t.is(await text(page, '#job-job1 .job-state'), 'downloading 42%');
  t.is(await text(page, '#job-job1 .job-download'), '42%');
  t.deepEqual(pageErrors, []);
});

test('console: after the hub restarts (same ports and token) the page reconnects by itself and shows the new state, nothing stale', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const context = await launch(t);
  if (!context) return t.pass();
  const page = await context.newPage();
  await page.goto(fx.hub.urls.console);
  await page.locator('#status', { hasText: 'live' }).waitFor();
  // A change made while the page is connected shows at once, without a reload.
  await fx.hub.registry.addDevice({ productId: 'SB00000005', deviceName: 'late', deviceSecret: Buffer.from('s').toString('base64') });
  await page.locator('tr[data-device="SB00000005/late"]').waitFor();
  const gw = await connectDevice(fx, GW);
  await page.locator('tr[data-device="GW00000001/gw1"] .state', { hasText: 'online' }).waitFor();
  await gw.endAsync(true);
  await page.locator('tr[data-device="GW00000001/gw1"] .state', { hasText: 'offline' }).waitFor();

  // The hub goes away: the page says so. It comes back on the same ports with a device added
  // to the registry meanwhile: the page reconnects and reloads, the new device is there.
  const http = Number(new URL(fx.hub.urls.http).port);
  const mqttPort = Number(new URL(fx.hub.urls.mqtt).port);
  const token = fx.hub.adminToken;
  await fx.hub.close();
  await page.locator('#status', { hasText: 'disconnected' }).waitFor();
  const restarted = await HubEmulator.start({ httpPort: http, mqttPort, registryPath: fx.registryPath, adminToken: token });
  t.teardown(() => restarted.close());
  await restarted.registry.addDevice({ productId: 'SB00000006', deviceName: 'meanwhile', deviceSecret: Buffer.from('s').toString('base64') });
  await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 30_000 });
  await page.locator('tr[data-device="SB00000006/meanwhile"]').waitFor();
  t.is(await page.locator('#devices tbody tr').count(), 6, '4 at start, one added live, one while away');
});

test('console: gateway services: a log level and a configuration set on the page reach the gateway; uploaded log lines are shown', async (t) => {
  const fx: Fixture = await startHub();
  t.teardown(() => fx.cleanup());
  const context = await launch(t);
  if (!context) return t.pass();
  const gw = await connectDevice(fx, GW);
  const heard: Array<{ topic: string; payload: string }> = [];
  gw.on('message', (topic, payload) => heard.push({ topic, payload: payload.toString() }));
  await gw.subscribeAsync(['$log/operation/result/GW00000001/gw1', '$config/operation/result/GW00000001/gw1'], { qos: 1 });
  const page = await context.newPage();
  await page.goto(fx.hub.urls.console);
  await page.locator('#status', { hasText: 'live' }).waitFor();

  await page.selectOption('#level-device', 'GW00000001/gw1');
  await page.selectOption('#level-value', 'warn');
  await page.click('#level-btn');
  await page.selectOption('#config-device', 'GW00000001/gw1');
  await page.fill('#config-text', '{"logLevel":"debug","ota":{"allowLoopback":true}}');
  await page.click('#config-btn');
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    t.true(ok(), what);
  };
  await until('the level reached the gateway', () => heard.some((m) => m.topic.startsWith('$log/') && JSON.parse(m.payload).log_level === 2));
  await until('the config reached the gateway', () => heard.some((m) => m.topic.startsWith('$config/') && JSON.parse(m.payload).type === 'push' && JSON.parse(m.payload).payload.logLevel === 'debug'));

  // An upload as the gateway makes it (signed with its secret) shows on the page.
  const { encodeLogUpload, deviceHttpHeaders } = await import('@iotgw/protocol-tencent');
  const body = encodeLogUpload(GW, [{ level: 'warn', time: Date.now(), tag: 'link 0', text: 'subdevice detached' }]);
  const url = new URL('/device/reportlog', fx.hub.urls.http);
  const headers = deviceHttpHeaders({ host: url.host, path: url.pathname, body, secret: GW.deviceSecret, timestamp: Math.floor(Date.now() / 1000), nonce: 7 });
  const res = await fetch(url, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json' } });
  t.is(res.status, 200);
  await page.locator('#logs .log-line', { hasText: 'GW00000001/gw1  WRN|' }).waitFor();
  t.regex(await text(page, '#logs .log-line'), /link 0\|subdevice detached/);
});
