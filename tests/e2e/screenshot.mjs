// Writes the README's screenshots: `cargo xtask screenshot` builds the app, serves it on a
// free port and runs this with BASE_URL and OUT_DIR set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

const outDir = process.env.OUT_DIR ?? 'docs';
mkdirSync(outDir, { recursive: true });

const SHOTS = [
  // [file, hash route, a locator that must be visible first]
  ['screenshot-convolution.png', '#/convolution', '[data-testid="worker-result"]'],
  ['screenshot-pooling.png', '#/pooling', '[data-testid="pool-value"]'],
  ['screenshot-architectures.png', '#/architectures?net=alexnet_lecture&input=227x227x3&layer=CONV1', '[data-testid="formula-width"]'],
  ['screenshot-classify.png', '#/classify', '[data-testid="top-class"]'],
  // "Why did it say 3?": the Explain panel alone, Grad-CAM at conv2 for the first 3.
  ['screenshot-explain.png', '#/classify', '[data-testid="explain-result"][data-rows="10"]', async (page) => {
    await page.locator('[data-testid^="sample-"][data-label="3"]').first().click({ timeout: 60000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="top-label"]')?.textContent.trim() === '3');
    await page.getByTestId('explain-method').selectOption('gradcam');
  }, '[data-testid="explain-panel"]'],
  // What one conv2 value of a 3 sees: its receptive field and each pixel's weight.
  ['screenshot-field.png', '#/classify', '[data-testid="field-result"]', async (page) => {
    await page.locator('[data-testid^="sample-"][data-label="3"]').first().click({ timeout: 60000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="top-label"]')?.textContent.trim() === '3');
    const map = page.getByTestId('map-conv2-3');
    const box = await map.boundingBox();
    await map.click({ position: { x: (5.5 * box.width) / 10, y: (4.5 * box.height) / 10 } });
  }, '[data-testid="field-panel"]'],
  // What conv2's filter 0 looks for: its nine strongest test patches and an image grown for it.
  ['screenshot-looks.png', '#/classify', '[data-testid="looks-result"][data-size="14"]', async (page) => {
    await page.getByTestId('looks-panel').waitFor({ timeout: 60000 });
    await page.getByTestId('looks-layer').selectOption('conv2');
  }, '[data-testid="looks-panel"]'],
  // Mid-training: LeNet-5 on 8,000 digits, shot once the first epoch is scored.
  ['screenshot-train.png', '#/train', '[data-testid="train-epoch-row"]', async (page) => {
    await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
    await page.getByTestId('train-preset').selectOption('lenet5-relu');
    await page.getByTestId('train-subset').fill('8000');
    await page.getByTestId('train-epochs').fill('3');
    await page.getByTestId('train-start').click();
  }],
];
// ONLY=screenshot-field.png,screenshot-looks.png writes just those.
const only = process.env.ONLY ? SHOTS.filter(([file]) => process.env.ONLY.split(',').includes(file)) : null;

const browser = await openBrowser({ width: 1440, height: 900 });
try {
  for (const [file, hash, ready, act, clip] of only ?? SHOTS) {
    const { page, errors } = await openPage(browser.context);
    await page.goto(`${BASE_URL}${hash}`);
    if (act) await act(page);
    await page.locator(ready).first().waitFor({ timeout: 120000 });
    await page.waitForTimeout(300);
    const path = join(outDir, file);
    if (clip) await page.locator(clip).screenshot({ path });
    else await page.screenshot({ path, fullPage: true });
    if (errors.length) throw new Error(`errors on ${hash}:\n${errors.join('\n')}`);
    console.log(`wrote ${path}`);
    await page.close();
  }
} finally {
  await browser.close();
}
