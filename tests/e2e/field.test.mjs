// Receptive fields on the Classify page: clicking any value — a conv1 pixel, a pooled value,
// a dense unit — outlines the input region it sees and weighs each pixel in it, computed by
// the core in the web worker. The field's size and position are checked against the
// Architectures page's RF column for the same network (LeNet-5) and against the lecture's
// arithmetic (offset − P·jump, size + (F − 1)·jump, jump · S); that the weights vanish
// outside the field and equal finite differences is the core's test
// (crates/core/tests/explain.rs).
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

/** The Architectures page's RF column ("16 / 4": size / jump) for each LeNet-5 layer. */
async function architectureFields(page) {
  await page.goto(`${BASE_URL}#/architectures?net=lenet5`);
  await page.getByTestId('arch-table').waitFor({ timeout: 30000 });
  const rf = {};
  for (const layer of ['conv1', 'pool1', 'conv2', 'pool2', 'relu3', 'fc3']) {
    const cell = page.locator(`[data-testid="layer-row"][data-layer="${layer}"] td`).nth(4);
    const [size, jump] = (await cell.textContent()).split('/').map((s) => Number(s.trim()));
    rf[layer] = { size, jump };
  }
  return rf;
}

let last = 0;
/** Waits for a field answer newer than the last one seen and returns its attributes. */
async function field(page) {
  await page.waitForFunction((n) => {
    const r = document.querySelector('[data-testid="field-result"]');
    return r && Number(r.dataset.request) > n;
  }, last, { timeout: 20000 });
  const r = page.getByTestId('field-result');
  last = Number(await r.getAttribute('data-request'));
  const pair = async (name) => (await r.getAttribute(name)).split(' ').map(Number);
  return {
    size: Number(await r.getAttribute('data-size')),
    rows: await pair('data-rows'),
    cols: await pair('data-cols'),
    nonzero: Number(await r.getAttribute('data-nonzero')),
    millis: Number(await r.getAttribute('data-millis')),
  };
}

async function clickPixel(page, testid, [y, x], side) {
  const map = page.getByTestId(testid);
  const box = await map.boundingBox();
  await map.click({ position: { x: ((x + 0.5) * box.width) / side, y: ((y + 0.5) * box.height) / side } });
}

test('any value of any layer traces back to the input field the Architectures page reports', async () => {
  const { page, errors } = await openPage(browser.context);
  const rf = await architectureFields(page);
  // The lecture's arithmetic, layer by layer: conv1 5×5 pad 2 → 5 / 1, pool1 → 6 / 2,
  // conv2 5×5 → 14 / 2, pool2 → 16 / 4, dense units see 32 (all of the 28×28 and the padding).
  assert.deepEqual(rf, {
    conv1: { size: 5, jump: 1 },
    pool1: { size: 6, jump: 2 },
    conv2: { size: 14, jump: 2 },
    pool2: { size: 16, jump: 4 },
    relu3: { size: 32, jump: 4 },
    fc3: { size: 32, jump: 4 },
  });

  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  await page.getByTestId('sample-70').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sample-70"]')?.getAttribute('aria-pressed') === 'true');
  const times = {};

  // A pooled value: pool2 map 15, row 2, column 3 sees rows 6..21, columns 10..25.
  await clickPixel(page, 'map-pool2-15', [2, 3], 5);
  await page.getByTestId('field-panel').waitFor({ timeout: 5000 });
  let f = await field(page);
  assert.equal(f.size, rf.pool2.size);
  assert.deepEqual([f.rows, f.cols], [[-2 + 2 * 4, -2 + 2 * 4 + 16], [-2 + 3 * 4, -2 + 3 * 4 + 16]]);
  assert.ok(f.nonzero > 0 && f.nonzero <= 16 * 16, `${f.nonzero} weighted pixels`);
  assert.match(await page.getByTestId('field-size').textContent(), /16×16/);
  assert.match(await page.getByTestId('field-numbers').textContent(), /rows 6 to 21, columns 10 to 25/);
  // No convolution explains a pooled value: the field's heading has the focus.
  await page.waitForFunction(() => document.activeElement?.id === 'field-title');
  times.pool2 = f.millis;

  // A conv1 pixel: its 5×5 window (the convolution behind it opens too).
  await clickPixel(page, 'map-conv1-2', [14, 12], 28);
  f = await field(page);
  assert.equal(f.size, rf.conv1.size);
  assert.deepEqual([f.rows, f.cols], [[12, 17], [10, 15]]);
  assert.ok(f.nonzero <= 25, `${f.nonzero} weighted pixels`);
  await page.getByTestId('inspector').waitFor({ timeout: 5000 });
  times.conv1 = f.millis;
  // At the border the field reaches into the padding, and the page says so.
  await clickPixel(page, 'map-conv1-2', [0, 0], 28);
  f = await field(page);
  assert.deepEqual([f.rows, f.cols], [[-2, 3], [-2, 3]]);
  assert.match(await page.getByTestId('field-numbers').textContent(), /2 more in the zero padding/);

  // A dense unit sees the whole image; the arrows choose the next unit.
  const dense = page.getByTestId('dense-relu3').locator('canvas');
  await dense.click({ position: { x: 3, y: 40 } });
  f = await field(page);
  assert.equal(f.size, rf.relu3.size);
  assert.deepEqual([f.rows, f.cols], [[-2, 30], [-2, 30]]);
  assert.equal(await dense.getAttribute('data-selected'), '0');
  assert.equal(await page.getByTestId('inspector').count(), 0, 'a dense unit closes the convolution');
  times.relu3 = f.millis;
  await dense.focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('[data-testid="dense-relu3"] canvas')?.dataset.selected === '1');
  f = await field(page);
  assert.match(await page.locator('#field-title').textContent(), /relu3 \[1, 0, 0\]/);
  // A class score too.
  await page.getByTestId('dense-fc3').locator('canvas').click({ position: { x: 2, y: 40 } });
  f = await field(page);
  assert.equal(f.size, rf.fc3.size);
  assert.match(await page.locator('#field-title').textContent(), /fc3 \[0, 0, 0\]/);
  times.fc3 = f.millis;

  await page.getByTestId('field-close').click();
  assert.equal(await page.getByTestId('field-panel').count(), 0);
  console.log(`receptive field traced in the worker (ms): ${JSON.stringify(times)}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a residual network: a block layer's value and filter are traced too", async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify?model=fashion-resnet`);
  await page.waitForFunction(() => document.querySelectorAll('canvas[data-testid^="map-block1.conv2-"]').length === 32, null, {
    timeout: 30000,
  });
  await clickPixel(page, 'map-block1.conv2-4', [3, 6], 14);
  await page.getByTestId('field-panel').waitFor({ timeout: 5000 });
  last = 0;
  const f = await field(page);
  assert.match(await page.locator('#field-title').textContent(), /block1\.conv2 \[4, 3, 6\]/);
  assert.equal(f.rows[1] - f.rows[0], f.size);
  assert.equal(f.cols[1] - f.cols[0], f.size);
  assert.ok(f.size > 3 && f.nonzero > 0, JSON.stringify(f));
  // The same layer's filter search cuts its patches to the same field.
  await page.getByTestId('looks-layer').selectOption('block1.conv2');
  await page.waitForFunction((size) => document.querySelector('[data-testid="looks-result"]')?.dataset.size === String(size), f.size, {
    timeout: 60000,
  });
  assert.deepEqual(errors, []);
  await page.close();
});
