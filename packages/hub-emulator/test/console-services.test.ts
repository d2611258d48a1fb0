import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { connectGateway, startHub, sub, SUB1 } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

async function launch(t: { log(...v: unknown[]): void; teardown(fn: () => Promise<void>): void }): Promise<BrowserContext | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing: install Debian's chromium`);
    t.log(`${CHROMIUM} missing: console test skipped`);
    return undefined;
  }
  const profile = await mkdtemp(join(tmpdir(), 'hub-console-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
  t.teardown(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  return context;
}

test('console: send an RRPC and see the reply, then one that times out', async (t) => {
  const fx = await startHub();
  t.teardown(() => fx.cleanup());
  const gw = await connectGateway(fx);
  await gw.request({ type: 'online', devices: [sub(SUB1)] });
  await gw.client.subscribeAsync('$rrpc/rxd/SB00000001/test1/+', { qos: 0 });
  let answer = true;
  gw.client.on('message', (topic, payload) => {
    if (!topic.startsWith('$rrpc/rxd/') || !answer) return;
    gw.client.publish(`$rrpc/txd/SB00000001/test1/${topic.split('/').at(-1)!}`, `re:${payload.toString()}`, { qos: 0 });
  });
  const context = await launch(t);
  if (!context) return t.pass();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(fx.hub.urls.console);
  await page.locator('#status', { hasText: 'live' }).waitFor();
  await page.locator('#rrpc-device option[value="SB00000001/test1"]').waitFor({ state: 'attached' });
  await page.selectOption('#rrpc-device', 'SB00000001/test1');
  await page.fill('#rrpc-payload', 'closed');
  await page.click('#rrpc-btn');
  await page.locator('.rrpc-call.answered .rrpc-reply', { hasText: 're:closed' }).waitFor();
  answer = false;
  await page.fill('#rrpc-timeout', '300');
  await page.click('#rrpc-btn');
  await page.locator('.rrpc-call.timeout .rrpc-status', { hasText: 'timeout' }).waitFor();
  t.deepEqual(pageErrors, []);
});
