// Single-image inference latency of the Classify page's model in Chromium: the worker's own
// timing of one forward pass (input → probabilities; the copy of every layer for the page
// comes after it and is not timed), read from the page after each of 220 gallery
// classifications; the first 20 are warm-up, the median of the other 200 is printed. Each
// pass follows an idle worker (the page draws the last answer meanwhile): on the AMD EPYC
// (Zen 4) of 2026-12-05 it read 105–110 µs where the same pass run back to back reads 34 µs
// (`cargo xtask bench-wasm`).
//
//   DIST=/path/to/trunk/dist node tests/e2e/classify-latency.mjs
//
// The page is served cross-origin isolated (COOP + COEP), so `performance.now()` in the
// worker has 5 µs resolution instead of 100 µs. Build with `trunk build --release` first.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { openBrowser, openPage } from './browser.mjs';

const dist = process.env.DIST ?? 'dist';
const runs = Number(process.env.RUNS ?? 200);
const warmup = 20;
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  try {
    const file = join(dist, path.endsWith('/') ? `${path}index.html` : path);
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await openBrowser();
try {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${base}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  const isolated = await page.evaluate(() => self.crossOriginIsolated);
  const times = [];
  for (let i = 0; i < runs + warmup; i++) {
    const sample = page.getByTestId(`sample-${(i * 37 + 1) % 100}`);
    const before = await page.getByTestId('top-class').textContent();
    await sample.click();
    await page.waitForFunction(
      (b) => document.querySelector('[data-testid="top-class"]').textContent !== b,
      before,
    );
    const text = await page.getByTestId('forward-micros').textContent();
    const us = Number(text.match(/([\d.]+) µs/)?.[1]);
    if (i >= warmup) times.push(us);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `forward pass, ${times.length} runs after ${warmup} warm-up (crossOriginIsolated: ${isolated}): ` +
      `median ${median} µs, min ${times[0]} µs, max ${times[times.length - 1]} µs`,
  );
  if (errors.length) throw new Error(errors.join('\n'));
} finally {
  await browser.close();
  server.close();
}
