// Shared by the end-to-end tests and the screenshot script: launches Debian's Chromium
// through playwright-core (no downloaded browser) with a fresh profile, and collects every
// console error of the page and of its web workers.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Opens a browser with a fresh --user-data-dir; `close()` removes the profile.
 * `deviceScaleFactor` emulates a high-DPI screen (2: two device pixels per CSS pixel);
 * `isMobile` and `hasTouch` a phone (the meta viewport honoured, touch events and input).
 */
export async function openBrowser({
  width = 1280,
  height = 900,
  deviceScaleFactor = 1,
  isMobile = false,
  hasTouch = false,
} = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'convscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width, height },
    deviceScaleFactor,
    isMobile,
    hasTouch,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page whose console errors, page errors and failed requests land in `errors`. */
export async function openPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  // A request the page itself cancelled (net::ERR_ABORTED: a reload or a navigation while it
  // loaded, e.g. the check of a worker's wasm) did not fail; every other failure is an error.
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText;
    if (why !== 'net::ERR_ABORTED') errors.push(`request failed: ${req.url()} ${why}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on('worker', (worker) => {
    worker.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`worker console: ${msg.text()}`);
    });
  });
  return { page, errors };
}
