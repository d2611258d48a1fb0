import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** A fresh headless Chromium with an empty profile; undefined (a visible skip) where there is none. */
export async function launch(t: { log(...v: unknown[]): void; teardown(fn: () => Promise<void>): void }): Promise<BrowserContext | undefined> {
  if (!existsSync(CHROMIUM)) {
    // Under CI a missing browser is a failure, locally a skip with a note.
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


/** The console open and live in a fresh browser, page errors collected; undefined where there is no browser. */
export async function openConsole(
  t: { log(...v: unknown[]): void; teardown(fn: () => Promise<void>): void },
  url: string,
): Promise<{ page: Page; pageErrors: string[] } | undefined> {
  const context = await launch(t);
  if (!context) return undefined;
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  await page.locator('#status', { hasText: 'live' }).waitFor();
  return { page, pageErrors };
}
