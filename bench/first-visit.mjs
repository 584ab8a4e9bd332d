// First visits of the built app (Trunk's dist/, served cross-origin isolated by `cargo xtask
// bench`): each trial is a fresh Chromium profile, so nothing is cached.
//   - `#/convolution`: time from navigation to the lab's first canvas (the app's performance
//     mark `convscope:first-canvas`);
//   - `#/classify`: time from navigation to the first prediction (`convscope:first-prediction`),
//     and the worker's forward pass for that first image against warm ones (the page shows
//     each classification's forward time in `forward-micros`);
//   - the floor: the same time for a page of three small files (HTML, a stylesheet and a
//     module script that draws one canvas and sets the same mark), served by this script on
//     loopback — what a fresh profile of this browser on this machine costs before any app.
// Writes JSON to $OUT. By hand: BASE_URL=http://127.0.0.1:PORT/ OUT=f.json node bench/first-visit.mjs
// (MODEL=mnist-resnet, fashion or fashion-resnet opens the Classify page on that shipped model
// instead of LeNet-5's MNIST model, as `#/classify?model=KEY` does).
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { BASE_URL, openBrowser, openPage } from '../tests/e2e/browser.mjs';

const trials = Number(process.env.TRIALS ?? 5);
const warmRuns = Number(process.env.WARM_RUNS ?? 40);
const out = process.env.OUT ?? 'first-visit.json';
const classifyHash = process.env.MODEL ? `#/classify?model=${process.env.MODEL}` : '#/classify';
// How long a visit is left alone before the page is first asked for its marks. Playwright's
// first call into a page (`waitForFunction`, `evaluate`) installs its own script there: 10–46
// ms of the page's main thread, which, made while the app was starting, landed in the middle
// of what the marks measure (seen in traces: before the lab's first canvas). The marks are
// the page's own timestamps, so reading them later changes nothing else.
const settleMs = Number(process.env.SETTLE_MS ?? 2000);

/** The time of the page's mark `name` (ms from navigation), asked for once the visit settled. */
async function markTime(page, name) {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, {
    timeout: 30000,
    polling: 'raf',
  });
  return page.evaluate((n) => performance.getEntriesByName(n)[0].startTime, name);
}

const micros = async (page) =>
  Number((await page.getByTestId('forward-micros').textContent()).match(/([\d.]+) µs/)?.[1]);

/**
 * The core worker's own marks (crates/web/src/perf.rs: `convscope:worker-ready`, the first
 * model load's and classification's end), in the page's time (ms from navigation).
 */
async function workerMarks(page, workers) {
  const origin = await page.evaluate(() => performance.timeOrigin);
  const marks = {};
  for (const w of workers) {
    const m = await w
      .evaluate(() => ({ origin: performance.timeOrigin, marks: performance.getEntriesByType('mark').map((e) => [e.name, e.startTime]) }))
      .catch(() => ({ marks: [] }));
    for (const [name, at] of m.marks) marks[name.replace('convscope:', '')] = at + m.origin - origin;
  }
  return marks;
}

async function visit(hash, f, base = BASE_URL) {
  const browser = await openBrowser();
  try {
    const { page, errors } = await openPage(browser.context);
    const workers = [];
    page.on('worker', (w) => workers.push(w));
    await page.goto(`${base}${hash}`);
    const result = await f(page, workers);
    const wasm = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.endsWith('.wasm'))
        .map((e) => ({ name: e.name.split('/').pop(), bytes: e.encodedBodySize })),
    );
    if (errors.length) throw new Error(`${hash}: ${errors.join('\n')}`);
    return { ...result, wasm };
  } finally {
    await browser.close();
  }
}

/** The floor's three files: the page, its stylesheet and its module script (the app's page loads its own the same way). */
const FLOOR = {
  '/': ['text/html', '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title><link rel="icon" href="data:,">' +
    '<link rel="stylesheet" href="/floor.css"><script type="module" src="/floor.js"></script></head>' +
    '<body><canvas width="64" height="64"></canvas></body></html>'],
  '/floor.css': ['text/css', 'body { font-family: sans-serif; }'],
  '/floor.js': ['text/javascript', "document.querySelector('canvas').getContext('2d').fillRect(0, 0, 8, 8);\n" +
    "performance.mark('convscope:first-canvas');"],
};

/** Serves `FLOOR` on a free loopback port; resolves to the server. */
function serveFloor() {
  const server = createServer((req, res) => {
    const file = FLOOR[new URL(req.url, 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file[0], 'Cache-Control': 'no-cache' }).end(file[1]);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const convolution = [];
const classify = [];
const floor = [];
const floorServer = await serveFloor();
const floorUrl = `http://127.0.0.1:${floorServer.address().port}/`;
for (let t = 0; t < trials; t++) {
  convolution.push(
    await visit('#/convolution', async (page) => ({ first_canvas_ms: await markTime(page, 'convscope:first-canvas') })),
  );
  classify.push(
    await visit(classifyHash, async (page, workers) => {
      const first_prediction_ms = await markTime(page, 'convscope:first-prediction');
      const w = await workerMarks(page, workers);
      const worker = {
        ready_ms: w['worker-ready'],
        // The model the loader handed over (`www/boot.js`, `handOverModel`), loaded before
        // the page asked for it; else the page's load.
        model_loaded_ms: w['worker-handover-end'] ?? w['worker-LoadModel-end'],
        page_load_ms: w['worker-LoadModel-end'],
        classified_ms: w['worker-Classify-end'],
      };
      await page.getByTestId('forward-micros').waitFor();
      const first_forward_us = await micros(page);
      // Warm: gallery images one after another, each waited for.
      const warm = [];
      for (let i = 0; i < warmRuns; i++) {
        const before = await page.getByTestId('top-class').textContent();
        await page.getByTestId(`sample-${(i * 37 + 1) % 100}`).click();
        await page.waitForFunction(
          (b) => document.querySelector('[data-testid="top-class"]').textContent !== b,
          before,
        );
        warm.push(await micros(page));
      }
      return { first_prediction_ms, worker, first_forward_us, warm_forward_us: median(warm.slice(warmRuns / 2)) };
    }),
  );
  floor.push(await visit('', async (page) => ({ first_canvas_ms: await markTime(page, 'convscope:first-canvas') }), floorUrl));
  console.log(
    `trial ${t + 1}: floor ${floor[t].first_canvas_ms.toFixed(0)} ms; ` +
      `convolution first canvas ${convolution[t].first_canvas_ms.toFixed(0)} ms; ` +
      `classify first prediction ${classify[t].first_prediction_ms.toFixed(0)} ms ` +
      `(worker ready ${classify[t].worker.ready_ms?.toFixed(0)} ms, model loaded ${classify[t].worker.model_loaded_ms?.toFixed(0)} ms, ` +
      `the page's load answered ${classify[t].worker.page_load_ms?.toFixed(0)} ms, ` +
      `classified ${classify[t].worker.classified_ms?.toFixed(0)} ms) ` +
      `(forward ${classify[t].first_forward_us} µs first, ${classify[t].warm_forward_us} µs warm)`,
  );
}
floorServer.close();
const summary = {
  trials,
  floor_first_canvas_ms: median(floor.map((c) => c.first_canvas_ms)),
  convolution_first_canvas_ms: median(convolution.map((c) => c.first_canvas_ms)),
  classify_first_prediction_ms: median(classify.map((c) => c.first_prediction_ms)),
  worker_ready_ms: median(classify.map((c) => c.worker.ready_ms ?? NaN)),
  worker_model_loaded_ms: median(classify.map((c) => c.worker.model_loaded_ms ?? NaN)),
  worker_classified_ms: median(classify.map((c) => c.worker.classified_ms ?? NaN)),
  first_forward_us: median(classify.map((c) => c.first_forward_us)),
  warm_forward_us: median(classify.map((c) => c.warm_forward_us)),
  wasm: classify[0].wasm,
  floor,
  convolution,
  classify,
};
writeFileSync(out, JSON.stringify(summary, null, 2));
console.log(`wrote ${out}`);
