// Training in the Train page's own web worker (the built app, served by `cargo xtask bench`):
// for each preset, a fresh Chromium profile opens `#/train`, trains two epochs on 8,000 MNIST
// digits (batch 64, Adam, lr 1e-3, no augmentation) and reads each epoch's images/s from the
// page's epoch table — wall-clock time of the worker's training slices, its yields, ticks
// and snapshots included (the test pass and the saves after an epoch are not).
// Meanwhile it times the page's frames (requestAnimationFrame, 2 s during epoch 2): the
// page must keep drawing while the worker trains.
// Writes JSON to $OUT: { presets: [{ key, network, images_per_s: [epoch 1, epoch 2],
// frame_ms: { median, p95, max, frames } }] }.
// By hand: BASE_URL=http://127.0.0.1:PORT/ OUT=f.json node bench/train-worker.mjs
import { writeFileSync } from 'node:fs';
import { BASE_URL, openBrowser, openPage } from '../tests/e2e/browser.mjs';

const out = process.env.OUT ?? 'train-worker.json';
const presets = (process.env.PRESETS ?? 'lenet5-relu,small-resnet').split(',');
const EPOCHS = 2;

async function train(key) {
  const browser = await openBrowser();
  try {
    const { page, errors } = await openPage(browser.context);
    await page.goto(`${BASE_URL}#/train`);
    await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 60000 });
    await page.getByTestId('train-preset').selectOption(key);
    await page.getByTestId('train-dataset').selectOption('mnist');
    const fields = { 'train-subset': 8000, 'train-test-images': 2000, 'train-epochs': EPOCHS, 'train-batch': 64, 'train-lr': 0.001, 'train-decay': 0, 'train-seed': 0 };
    for (const [id, v] of Object.entries(fields)) await page.getByTestId(id).fill(String(v));
    await page.getByTestId('train-optimizer').selectOption('adam');
    await page.getByTestId('train-schedule').selectOption('constant');
    await page.getByTestId('train-augment').selectOption('none');
    const network = await page.getByTestId('train-text').inputValue();
    await page.getByTestId('train-start').click();
    // While epoch 2 trains, the page's own frames: every requestAnimationFrame for 2 s
    // (the charts, the status line and the maps redraw as ticks and snapshots arrive).
    await page.waitForFunction(
      () => /^Training · epoch 2/.test(document.querySelector('[data-testid="train-status"]')?.textContent.trim() ?? ''),
      null,
      { timeout: 600000, polling: 50 },
    );
    const frames = await page.evaluate(
      () =>
        new Promise((done) => {
          const times = [];
          const tick = (t) => {
            times.push(t);
            if (t - times[0] < 2000) requestAnimationFrame(tick);
            else done(times.slice(1).map((x, i) => x - times[i]).sort((a, b) => a - b));
          };
          requestAnimationFrame(tick);
        }),
    );
    const at = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))];
    const frame_ms = { median: at(0.5), p95: at(0.95), max: frames[frames.length - 1], frames: frames.length };
    await page.waitForFunction(
      () => document.querySelector('[data-testid="train-status"]')?.textContent.trim().startsWith('Finished'),
      null,
      { timeout: 600000 },
    );
    const rows = await page.getByTestId('train-epoch-row').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
    );
    if (errors.length) throw new Error(`${key}: ${errors.join('\n')}`);
    // The last column: images/s with thousands separators.
    const images_per_s = rows.map((r) => Number(r[r.length - 1].replace(/,/g, '')));
    if (images_per_s.length !== EPOCHS || images_per_s.some((x) => !(x > 0))) {
      throw new Error(`${key}: unexpected epoch table ${JSON.stringify(rows)}`);
    }
    console.log(`[train-worker] ${key}: ${images_per_s.join(', ')} images/s; frames ${JSON.stringify(frame_ms)}`);
    return { key, network, images_per_s, frame_ms };
  } finally {
    await browser.close();
  }
}

const results = [];
for (const key of presets) results.push(await train(key));
writeFileSync(out, JSON.stringify({ epochs: EPOCHS, train_images: 8000, batch: 64, presets: results }, null, 2));
