// "Why this class?" on the Classify page: saliency (and "why 3 and not 8"), SmoothGrad,
// occlusion with its output-size formula, and Grad-CAM at a chosen convolution, each computed
// by the core in the web worker for the first MNIST test image. The numbers themselves are
// held to finite differences, separate forward passes and exact gradients by the core's
// tests (crates/core/tests/explain.rs); here the page shows them, sized by the formula, and
// every control reaches the worker. The time each takes is printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await openBrowser({ width: 1440, height: 900 });
});
after(async () => {
  await browser?.close();
});

const text = async (page, id) => (await page.getByTestId(id).textContent()).trim();

let last = 0;
/** Waits for the answer to a request newer than the last one seen and returns its
 * attributes. */
async function explained(page) {
  await page.waitForFunction((n) => {
    const r = document.querySelector('[data-testid="explain-result"]');
    return r && Number(r.dataset.request) > n;
  }, last, { timeout: 20000 });
  const r = page.getByTestId('explain-result');
  last = Number(await r.getAttribute('data-request'));
  return {
    rows: Number(await r.getAttribute('data-rows')),
    cols: Number(await r.getAttribute('data-cols')),
    millis: Number(await r.getAttribute('data-millis')),
  };
}

test('why this class: saliency, class comparison, SmoothGrad, occlusion and Grad-CAM from the worker', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  const top = await text(page, 'top-label');
  await page.getByTestId('explain-panel').waitFor();
  const times = {};

  // Saliency of the predicted class: one value per input pixel.
  let r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [28, 28]);
  assert.match(await text(page, 'explain-what'), new RegExp(`score of ${top}`));
  times.saliency = r.millis;
  const map = page.getByTestId('explain-map');
  assert.equal(await map.getAttribute('data-rows'), '28');

  // Why this class and not 8 (or 3 when the image is an 8).
  const other = top === '8' ? '3' : '8';
  await page.getByTestId('explain-versus').selectOption(other);
  r = await explained(page);
  assert.match(await text(page, 'explain-what'), new RegExp(`score\\(${top}\\) − score\\(${other}\\)`));
  times.comparison = r.millis;

  // SmoothGrad with its noise level and number of copies shown.
  // The method's own answer (its default number of copies) first, so that the wait below
  // is for the answer to the changed count, not for this one arriving late.
  await page.getByTestId('explain-method').selectOption('smoothgrad');
  await explained(page);
  await page.getByTestId('explain-count').fill('30');
  await page.getByTestId('explain-count').press('Tab');
  r = await explained(page);
  assert.match(await page.getByTestId('explain-map').getAttribute('aria-label'), /over 30 copies with noise σ = 0.15/);
  times.smoothgrad30 = r.millis;

  // Occlusion: the patch's positions follow (W − F)/S + 1.
  await page.getByTestId('explain-method').selectOption('occlusion');
  r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [11, 11]);
  assert.equal(await text(page, 'explain-formula'), 'positions each way: (W − F)/S + 1 = (28 − 8)/2 + 1 = 11');
  assert.match(await text(page, 'explain-numbers'), /probability of the image as it is/);
  assert.equal(await page.getByTestId('explain-over').getAttribute('data-rows'), '28');
  times.occlusion = r.millis;
  // The player shows the whole map first; the probability of the image as it is equals the
  // prediction's confidence (the classification's forward pass, not the explanation's).
  const player = page.getByTestId('occlusion-player');
  assert.equal(await player.getAttribute('data-step'), '120');
  const confidence = Number(await page.getByTestId('top-class').getAttribute('data-confidence'));
  const baseline = Number(await player.getAttribute('data-probability')) + Number(await player.getAttribute('data-drop'));
  assert.ok(Math.abs(baseline - confidence) < 2e-4, `${baseline} vs ${confidence}`);
  // Step by step, the patch moves by the stride; Play animates it.
  await page.getByTestId('step-first').click();
  assert.equal(await player.getAttribute('data-step'), '0');
  await page.getByTestId('step-forward').click();
  assert.equal(await player.getAttribute('data-step'), '1');
  assert.match(await text(page, 'occlusion-now'), /^Position 2 of 121 \(row 0, column 1\): the patch covers rows 0 to 7, columns 2 to 9/);
  await page.getByTestId('play').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="occlusion-player"]').dataset.step) > 4);
  await page.getByTestId('play').click();
  await page.getByTestId('explain-patch').fill('5');
  await page.getByTestId('explain-patch').press('Tab');
  // (28 − 5)/2 + 1 = 12 (remainder 1) first: its answer must not be taken for the next one's.
  r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [12, 12]);
  await page.getByTestId('explain-stride').fill('3');
  await page.getByTestId('explain-stride').press('Tab');
  r = await explained(page);
  // (28 − 5)/3 + 1 = 8 (remainder 2).
  assert.deepEqual([r.rows, r.cols], [8, 8]);
  assert.match(await text(page, 'explain-formula'), /\(28 − 5\)\/3 \+ 1 = 8 \(the last 2 pixels/);

  // Grad-CAM at the last convolution, then at conv1.
  await page.getByTestId('explain-method').selectOption('gradcam');
  r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [10, 10]);
  times.gradcam = r.millis;
  await page.getByTestId('explain-layer').selectOption('conv1');
  r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [28, 28]);

  // The settings are in the URL: a reload shows the same explanation.
  await page.waitForFunction(() => location.hash.includes('explain=gradcam') && location.hash.includes('layer=conv1'));
  assert.match(page.url(), /patch=5&stride=3/);
  assert.match(page.url(), /versus=/);
  await page.reload();
  await page.getByTestId('explain-panel').waitFor({ timeout: 30000 });
  last = 0;
  r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [28, 28]);
  assert.equal(await page.getByTestId('explain-method').inputValue(), 'gradcam');
  assert.equal(await page.getByTestId('explain-layer').inputValue(), 'conv1');
  await page.getByTestId('explain-method').selectOption('occlusion');
  assert.equal(await page.getByTestId('explain-patch').inputValue(), '5');
  r = await explained(page);
  assert.deepEqual([r.rows, r.cols], [8, 8]);

  console.log(`# explanations of LeNet-5 in the worker (ms): ${JSON.stringify(times)}`);
  assert.deepEqual(errors, []);
  await page.close();
});
