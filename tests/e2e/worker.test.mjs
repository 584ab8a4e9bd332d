// A web worker that dies or hangs is replaced: the page says so, and the next request
// works (the models it had loaded are loaded into the fresh one). The worker is made to
// panic (which traps at once in the release wasm, as running out of memory does) and to
// hang on purpose through a test-only request (crates/web/src/core_worker.rs). The times
// are printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await openBrowser({ width: 1280, height: 900 });
});
after(async () => {
  await browser?.close();
});

/** Clicks gallery sample `i` and waits for its classification. */
async function classify(page, i) {
  await page.getByTestId(`sample-${i}`).click();
  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('aria-pressed') === 'true'
      && /right|wrong/.test(document.querySelector(`[data-testid="${id}"]`)?.className),
    `sample-${i}`,
    { timeout: 15000 },
  );
}

/** Dispatches the test request and returns the milliseconds until the notice says so. */
async function breakWorker(page, kind, restarts) {
  const t0 = Date.now();
  await page.evaluate((k) => window.dispatchEvent(new CustomEvent('convscope-worker-test', { detail: k })), kind);
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid="worker-notice"]')?.dataset.restarts === String(n),
    restarts,
    { timeout: 15000 },
  );
  return Date.now() - t0;
}

test('a worker that traps or hangs is replaced, says so, and the next request works', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  await classify(page, 3);
  const times = {};

  times.trapNotice = await breakWorker(page, 'trap', 1);
  assert.match(await page.getByTestId('worker-notice').textContent(), /crashed.*A fresh web worker was started/);
  let t0 = Date.now();
  await classify(page, 12);
  times.trapNextAnswer = Date.now() - t0;
  // The explanation of the new input comes from the fresh worker too.
  await page.waitForFunction(() => document.querySelector('[data-testid="explain-result"]'), null, { timeout: 15000 });

  times.hangNotice = await breakWorker(page, 'hang', 2);
  assert.match(await page.getByTestId('worker-notice').textContent(), /did not answer within 1 s/);
  t0 = Date.now();
  await classify(page, 25);
  times.hangNextAnswer = Date.now() - t0;

  await page.getByTestId('worker-notice-close').click();
  assert.equal(await page.getByTestId('worker-notice').count(), 0);
  console.log(`worker replaced (ms): ${JSON.stringify(times)}`);
  // The trap itself is reported by the browser as the worker's error; nothing else.
  const other = errors.filter((e) => !/unreachable|RuntimeError|Uncaught|worker/i.test(e));
  assert.deepEqual(other, []);
  await page.close();
});
