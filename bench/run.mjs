// Drives the benchmark page (bench/page/) in Debian's headless Chromium and writes its result
// as JSON. `cargo xtask bench` serves the page and runs this; by hand:
//   BASE_URL=http://127.0.0.1:PORT/ OUT=browser.json node bench/run.mjs [query]
// where query is passed to the page (for example `runs=500&seconds=2`).
import { writeFileSync } from 'node:fs';
import { BASE_URL, openBrowser, openPage } from '../tests/e2e/browser.mjs';

const query = process.argv[2] ?? '';
const out = process.env.OUT ?? 'browser.json';
const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1e3;

const browser = await openBrowser();
let failed = null;
try {
  const { page, errors } = await openPage(browser.context);
  page.on('console', (msg) => {
    if (msg.text().startsWith('[bench]')) console.log(msg.text());
  });
  await page.goto(`${BASE_URL}index.html${query ? `?${query}` : ''}`);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, {
    timeout: timeoutMs,
    polling: 500,
  });
  const { result, error } = await page.evaluate(() => ({
    result: window.benchResult,
    error: window.benchError,
  }));
  if (error) throw new Error(`the benchmark page stopped: ${error}`);
  result.chromium = browser.context.browser()?.version() ?? null;
  result.page_errors = errors;
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`wrote ${out}`);
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
if (failed) {
  console.error(String(failed.message ?? failed));
  process.exit(1);
}
