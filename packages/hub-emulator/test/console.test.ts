import test from 'ava';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { connectGateway, startHub, sub, SUB1 } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const REPORT = '$ota/report/SB00000001/test1';

async function launch(t: { log(...v: unknown[]): void }): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    // Under CI a missing browser is a failure, locally a skip with a note.
    if (process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: install Debian's chromium`);
    t.log(`${CHROMIUM} missing: console test skipped`);
    return undefined;
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

test('console shows devices, binds and unbinds, sends data, pushes firmware and shows live OTA progress', async (t) => {
  const fx = await startHub();
  const browser = await launch(t);
  if (!browser) {
    await fx.cleanup();
    t.pass();
    return;
  }
  try {
    const path = join(fx.dir, 'fw.bin');
    await writeFile(path, Buffer.alloc(4096, 7));
    const fw = await fx.hub.registerFirmware({ path, version: '5.0.0' });
    const gw = await connectGateway(fx);
    await gw.request({ type: 'online', devices: [sub(SUB1)] });
    await gw.client.subscribeAsync(['SB00000001/test1/data', '$ota/update/SB00000001/test1'], { qos: 1 });
    const received: Array<[string, string]> = [];
    gw.client.on('message', (topic, p) => received.push([topic, p.toString()]));

    const page = await browser.newPage();
    await page.goto(fx.hub.urls.console);
    await page.locator('#status', { hasText: 'live' }).waitFor();
    await page.locator('tr[data-device="SB00000001/test1"] .online').waitFor();
    t.is(await page.locator('#devices tbody tr').count(), 4);

    // Bind test2 to gw1 with the form: the gateway gets `change` status 1.
    const change = gw.next('change');
    await page.selectOption('#bind-sub', 'SB00000001/test2');
    await page.selectOption('#bind-gw', 'GW00000001/gw1');
    await page.click('#bind-btn');
    t.deepEqual((await change).payload, { status: 1, devices: [{ product_id: 'SB00000001', device_name: 'test2' }] });
    await page.locator('tr[data-binding="GW00000001/gw1|SB00000001/test2"]').waitFor();

    // Unbind it with the row's button.
    const unchange = gw.next('change');
    await page.click('tr[data-binding="GW00000001/gw1|SB00000001/test2"] button.unbind');
    t.is((await unchange).payload.status, 0);
    await page.locator('tr[data-binding="GW00000001/gw1|SB00000001/test2"]').waitFor({ state: 'detached' });

    // Send data.
    await page.selectOption('#data-device', 'SB00000001/test1');
    await page.fill('#data-payload', '{"console":true}');
    await page.click('#data-btn');
    await page.locator('#messages', { hasText: '{"console":true}' }).waitFor();
    t.true(received.some(([topic, p]) => topic === 'SB00000001/test1/data' && p === '{"console":true}'));

    // Upload a firmware file through the console; it becomes selectable.
    await page.setInputFiles('#upload-file', { name: 'app.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1000, 1) });
    await page.fill('#upload-version', '6.0.0');
    await page.click('#upload-btn');
    await page.locator('#ota-fw option', { hasText: '6.0.0, 1000 B' }).waitFor({ state: 'attached' });
    t.true(fx.hub.catalog.list().some((f) => f.version === '6.0.0' && f.size === 1000));
    t.regex((await page.locator('#stats').textContent()) ?? '', /ACL denials: 0/);

    // Push firmware, then progress reports from the "gateway" move the bar live (SSE).
    await page.selectOption('#ota-sub', 'SB00000001/test1');
    await page.selectOption('#ota-fw', fw.id);
    await page.click('#ota-btn');
    await page.locator('#job-job1').waitFor();
    await gw.client.publishAsync(REPORT, JSON.stringify({ type: 'report_progress', report: { progress: { state: 'downloading', percent: '42', result_code: '0', result_msg: '' }, version: '5.0.0' } }), { qos: 1 });
    await page.locator('#job-job1 .job-percent', { hasText: '42%' }).waitFor();
    t.is(await page.locator('#job-job1 progress').evaluate((el) => (el as unknown as { value: number }).value), 42);
    await gw.client.publishAsync(REPORT, JSON.stringify({ type: 'report_progress', report: { progress: { state: 'done', result_code: '0', result_msg: '' }, version: '5.0.0' } }), { qos: 1 });
    await page.locator('#job-job1 .job-state', { hasText: 'done' }).waitFor();
    t.true(received.some(([topic]) => topic === '$ota/update/SB00000001/test1'));
  } finally {
    await browser.close();
    await fx.cleanup();
  }
});
