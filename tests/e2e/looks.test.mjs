// What a filter looks for, on the Classify page: the worker searches the gallery and the
// first 2,000 test images for the nine patches that excite a chosen filter most (each cut
// to the filter's receptive field) and grows an image by gradient ascent. That each patch
// is its image's peak, found by a separate forward pass, and that the ascent raises the
// filter, is the core's test (crates/core/tests/explain.rs); here every control reaches the
// worker and the page shows what came back. The times are printed.
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

let last = 0;
async function looks(page) {
  await page.waitForFunction((n) => {
    const r = document.querySelector('[data-testid="looks-result"]');
    return r && Number(r.dataset.request) > n;
  }, last, { timeout: 60000 });
  const r = page.getByTestId('looks-result');
  last = Number(await r.getAttribute('data-request'));
  const d = await r.evaluate((el) => ({ ...el.dataset }));
  return {
    size: Number(d.size),
    gallery: Number(d.gallery),
    test: Number(d.test),
    patches: Number(d.patches),
    values: d.values.split(' ').map(Number),
    objective: d.objective.split(' ').map(Number),
    unit: d.unit,
    millis: d.millis.split(' ').map(Number),
  };
}

test('what a filter looks for: nine strongest patches of the test images and an image grown for it', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  await page.getByTestId('looks-panel').waitFor();
  const gallery = await page.locator('[data-testid^="sample-"]').count();
  const times = {};

  // conv1, filter 0: 5×5 patches.
  let r = await looks(page);
  if (r.gallery === 0) r = await looks(page); // asked before the gallery arrived
  assert.equal(r.gallery, gallery);
  assert.equal(r.test, 2000, 'the first 2,000 test images are searched');
  assert.equal(r.patches, 9);
  assert.equal(r.size, 5);
  assert.ok(r.values.every((v, i) => i === 0 || r.values[i - 1] >= v), `strongest first: ${r.values}`);
  assert.ok(r.objective[1] > r.objective[0], `the ascent raises the filter: ${r.objective}`);
  // The unit grown for: the centre of conv1's 28×28 map, its 5×5 field framed on the image.
  assert.equal(r.unit, '14 14');
  assert.match(await page.getByTestId('looks-ascent').getAttribute('aria-label'), /rows 12 to 16 and columns 12 to 16, is framed/);
  // …and enlarged beside it, 5×5 as the patches are.
  assert.equal(await page.getByTestId('looks-ascent-field').getAttribute('data-rows'), '5');
  assert.equal(await page.locator('[data-testid^="looks-patch-"]').count(), 9);
  assert.equal(await page.getByTestId('looks-patch-0').getAttribute('data-rows'), '5');
  times.conv1 = r.millis;

  // conv2, filter 7: 14×14 patches (its receptive field).
  await page.getByTestId('looks-layer').selectOption('conv2');
  r = await looks(page);
  assert.equal(r.size, 14);
  await page.getByTestId('looks-filter').fill('7');
  await page.getByTestId('looks-filter').dispatchEvent('change');
  r = await looks(page);
  assert.equal(r.size, 14);
  assert.match(await page.getByTestId('looks-result').textContent(), /filter 7 is strongest/);
  // conv2's map is 10×10: its centre unit (5, 5) sees a 14×14 field.
  assert.equal(r.unit, '5 5');
  assert.equal(await page.getByTestId('looks-ascent-field').getAttribute('data-rows'), '14');
  times.conv2 = r.millis;

  // No steps: nothing grows.
  await page.getByTestId('looks-steps').fill('0');
  await page.getByTestId('looks-steps').dispatchEvent('change');
  r = await looks(page);
  assert.equal(r.objective[0], r.objective[1]);
  assert.match(await page.getByTestId('looks-objective').textContent(), /after 0 steps/);

  console.log(`filter search / ascent in the worker (ms): ${JSON.stringify(times)}`);
  assert.deepEqual(errors, []);
  await page.close();
});
