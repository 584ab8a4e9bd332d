// The feature-map canvas (MatrixCanvas) everywhere: driven by the keyboard alone on the
// Classify page (a layer's maps), the Convolution page's output map (Enter jumps the
// stepper to the cursor's cell) and its drawing grid (Enter and Space toggle a cell); drawn
// only when what it shows changes (each canvas counts its draws in `data-draws`: hovering
// and parent renders that change nothing draw nothing); sharp on a high-DPI screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';
import { makeDigitPng } from './make-digit-png.mjs';

let browser;
before(async () => {
  browser = await openBrowser({ width: 1440, height: 1000 });
});
after(async () => {
  await browser?.close();
});

const active = (page) => page.evaluate(() => document.activeElement?.dataset?.testid ?? null);
const text = async (page, id) => (await page.getByTestId(id).textContent()).trim();

/** Presses Tab (at most `max` times) until the element with `testid` has the focus. */
async function tabTo(page, testid, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if ((await active(page)) === testid) return;
  }
  assert.fail(`Tab never reached ${testid}`);
}

/** `data-draws` of every canvas that has drawn, by test id (else its accessible name). */
const drawCounts = (page) =>
  page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('canvas[data-draws]')].map((c) => [
        c.dataset.testid ?? c.getAttribute('aria-label'),
        Number(c.dataset.draws),
      ]),
    ),
  );

/** The canvases whose draw count differs between two `drawCounts`. */
/** Resolves after two animation frames: the renders and the draws their effects scheduled
 * have run (a condition, not a fixed sleep: "nothing more drew" needs a point to look). */
async function settled(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));
}

/** Waits until the draw counts stop changing over two frames, and returns them. */
async function steadyCounts(page) {
  let before = await drawCounts(page);
  for (;;) {
    await settled(page);
    const after = await drawCounts(page);
    if (redrawn(before, after).length === 0) return after;
    before = after;
  }
}

function redrawn(before, after) {
  return Object.keys(after).filter((k) => before[k] !== after[k]).sort();
}

async function openClassify() {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  await page.locator('canvas[data-testid="map-conv1-0"][data-draws]').waitFor({ timeout: 20000 });
  await page.locator('canvas[data-testid="filter-conv1-0"][data-draws]').waitFor({ timeout: 20000 });
  return { page, errors };
}

test('Classify: Tab reaches a layer, Enter explains the cursor pixel, arrows move it, Page Down switches maps', async () => {
  const { page, errors } = await openClassify();
  const map = page.getByTestId('map-conv1-0');
  const draws = Number(await map.getAttribute('data-draws'));
  // From the Feature maps heading, Tab reaches the first conv1 map: one tab stop per layer.
  await page.locator('#maps-title').click();
  await tabTo(page, 'map-conv1-0', 5);
  assert.equal(await map.getAttribute('role'), 'button');
  assert.equal(await page.locator('canvas[data-testid^="map-conv1-"][tabindex="0"]').count(), 1);
  // Focus from the keyboard shows the cursor at the centre: the map is drawn again.
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="map-conv1-0"]').dataset.draws) > n, draws);
  // The tooltip reads the cursor's pixel.
  assert.match(await map.getAttribute('title'), /^\(14, 14\) = /);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="inspector"]')?.dataset.pixel === '0,14,14');
  // Opening the inspector took the focus to its heading; Tab comes back to the layer.
  await page.locator('#maps-title').click();
  await tabTo(page, 'map-conv1-0', 5);
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('[data-testid="inspector"]').dataset.pixel === '0,15,14');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.querySelector('[data-testid="inspector"]').dataset.pixel === '0,15,13');
  await page.keyboard.press(']');
  await page.waitForFunction(() => document.querySelector('[data-testid="inspector"]').dataset.pixel === '1,15,13');
  assert.equal(await active(page), 'map-conv1-1');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Convolution: Tab to the output map, arrows move the cursor (not the stepper), Enter jumps to its step', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution`);
  await page.getByTestId('stage').waitFor({ timeout: 20000 });
  const out = page.getByTestId('output-canvas-0');
  assert.equal(await out.getAttribute('role'), 'button');
  assert.equal(await out.getAttribute('tabindex'), '0');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await tabTo(page, 'output-canvas-0');
  // The cursor starts at the step's output cell (0, 0): down, down, right is (2, 1).
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  const win = () => page.getByTestId('input-canvas').getAttribute('data-window');
  assert.equal(await win(), '0,0', 'the arrows belong to the map, not to the stepper');
  assert.equal(await out.getAttribute('title'), '(2, 1) not computed yet');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.window === '2,1');
  assert.equal(await text(page, 'output-value'), '3');
  assert.equal(await out.getAttribute('title'), '(2, 1) = 3');
  // Once the map loses the focus, the arrows drive the stepper again.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  assert.equal(await win(), '2,2');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Convolution: the drawing grid by keyboard — Enter and Space toggle the cursor cell', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution`);
  await page.getByTestId('stage').waitFor({ timeout: 20000 });
  await page.getByTestId('input-source').selectOption('draw');
  const pad = page.getByTestId('draw-pad');
  await pad.waitFor();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await tabTo(page, 'draw-pad');
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
  }
  assert.equal(await pad.getAttribute('title'), '(0, 0) = 0');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="draw-pad"]').title === '(0, 0) = 1');
  assert.match(await text(page, 'volume-dims'), /6 × 6 × 1/);
  assert.equal(await text(page, 'product-0-0-0'), '1·11');
  // Space toggles it back, and does not start the player.
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid="draw-pad"]').title === '(0, 0) = 0');
  assert.equal(await text(page, 'play'), '▶ Play');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="draw-pad"]').title === '(0, 1) = 1');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Classify: hovering and renders that change nothing draw nothing; explaining a pixel redraws only the maps outlining it', async () => {
  const { page, errors } = await openClassify();
  // Let the first draws settle: the worker's late panels (the explanation, the filter
  // search) have answered.
  await page.getByTestId('explain-result').waitFor({ timeout: 20000 });
  await page.getByTestId('looks-result').waitFor({ timeout: 60000 });
  const start = await steadyCounts(page);
  assert.ok(Object.keys(start).length > 100, `${Object.keys(start).length} canvases counted`);
  // The pointer over every map of a layer, the gallery and the filters.
  for (const id of ['map-conv1-0', 'map-conv1-3', 'map-relu1-2', 'map-pool2-5', 'sample-3', 'sample-40', 'filter-conv1-1']) {
    const box = await page.getByTestId(id).boundingBox();
    for (let i = 0; i <= 6; i++) await page.mouse.move(box.x + (box.width * i) / 6, box.y + (box.height * (6 - i)) / 6);
  }
  await page.mouse.move(5, 5);
  assert.deepEqual(redrawn(start, await drawCounts(page)), [], 'hovering drew');
  // A refused file: the page renders again with an error, no canvas changes.
  await page.getByTestId('image-file').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: makeDigitPng().subarray(0, 60) });
  await page.getByTestId('input-error').waitFor();
  await settled(page);
  assert.deepEqual(redrawn(start, await drawCounts(page)), [], 'a render that changes nothing drew');
  // Explaining a pixel: only that map and the same map after the activation (both outline
  // the pixel) draw again, and the inspector's and the receptive field's own maps.
  const map = page.getByTestId('map-conv1-2');
  const box = await map.boundingBox();
  await map.click({ position: { x: (12.5 * box.width) / 28, y: (14.5 * box.height) / 28 } });
  await page.waitForFunction(() => document.querySelector('[data-testid="inspector"]')?.dataset.pixel === '2,14,12');
  await page.getByTestId('field-result').waitFor();
  const opened = await steadyCounts(page);
  assert.deepEqual(
    redrawn(start, opened).filter((id) => !id.startsWith('inspect-') && !id.startsWith('field-')),
    ['map-conv1-2', 'map-relu1-2'],
  );
  assert.equal(opened['map-conv1-2'], start['map-conv1-2'] + 1);
  // Closing the convolution redraws the activation's map (conv1's still outlines the pixel
  // whose receptive field is open); closing the field redraws conv1's; nothing else.
  await page.getByTestId('inspect-close').click();
  await page.getByTestId('inspector').waitFor({ state: 'detached' });
  const closed = await steadyCounts(page);
  assert.deepEqual(redrawn(opened, closed), ['map-relu1-2']);
  await page.getByTestId('field-close').click();
  await page.getByTestId('field-panel').waitFor({ state: 'detached' });
  assert.deepEqual(redrawn(closed, await steadyCounts(page)), ['map-conv1-2']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Convolution: a step redraws the maps it changes, not the others', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution?in=rgb&kf=2`);
  await page.locator('canvas[data-testid="output-canvas-1"][data-draws]').waitFor({ timeout: 20000 });
  // The worker's maps have arrived (before, the stage draws the stepper's partial maps).
  await page.locator('[data-testid="stage"][data-maps="fresh"]').waitFor({ timeout: 20000 });
  const start = await steadyCounts(page);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.window === '0,1');
  const changed = redrawn(start, await steadyCounts(page));
  // The window moved over the inputs, one more cell of map 0 was computed; map 1 is as it was.
  assert.ok(changed.includes('output-canvas-0'), changed.join());
  assert.ok(changed.includes('input-canvas'), changed.join());
  assert.ok(!changed.includes('output-canvas-1'), changed.join());
  assert.deepEqual(errors, []);
  await page.close();
});

test('Convolution: a large map redrawn in place shows the new values, as a fresh page draws them', async () => {
  /** The output map's pixels, once the stage holds the maps of the settings in `job`'s place. */
  const pixels = (page) => page.evaluate(() => {
    const c = document.querySelector('[data-testid="output-canvas-0"]');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',');
  });
  const settle = async (page, job) => {
    await page.waitForFunction((job) => {
      const stage = document.querySelector('[data-testid="stage"]');
      return stage?.dataset.maps === 'fresh' && stage.dataset.job !== job;
    }, job, { timeout: 20000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  };
  const { page, errors } = await openPage(browser.context);
  // A 28×28 sample padded by 16: 58×58 cells of 4 px, drawn through one ImageData.
  await page.goto(`${BASE_URL}#/convolution?in=mnist0&p=16`);
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]')?.dataset.rows === '28', null, { timeout: 20000 });
  await settle(page, '');
  assert.equal(await page.getByTestId('output-canvas-0').getAttribute('data-rows'), '58');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('End');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const before = await pixels(page);
  const job = await page.getByTestId('stage').getAttribute('data-job');
  await page.getByTestId('kernel-1-1').fill('-3');
  await page.getByTestId('kernel-1-1').press('Enter');
  await settle(page, job);
  const after = await pixels(page);
  assert.notEqual(after, before, 'the map was not redrawn');
  // The same settings from their link, in a fresh page: the same picture.
  await page.waitForFunction(() => location.hash.includes('k='));
  const link = page.url();
  const fresh = await openPage(browser.context);
  await fresh.page.goto(link);
  await fresh.page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]')?.dataset.rows === '28', null, { timeout: 20000 });
  await settle(fresh.page, '');
  assert.equal(await pixels(fresh.page), after);
  assert.deepEqual([...errors, ...fresh.errors], []);
  await fresh.page.close();
  await page.close();
});

test('high-DPI: one canvas pixel per device pixel, whole device pixels per grid cell', async () => {
  const hidpi = await openBrowser({ width: 1440, height: 1000, deviceScaleFactor: 2 });
  try {
    const { page, errors } = await openPage(hidpi.context);
    await page.goto(`${BASE_URL}#/convolution`);
    await page.locator('canvas[data-testid="output-canvas-0"][data-draws]').waitFor({ timeout: 20000 });
    const sizes = (id) =>
      page.evaluate((id) => {
        const c = document.querySelector(`[data-testid="${id}"]`);
        const r = c.getBoundingClientRect();
        return { width: c.width, height: c.height, cssWidth: r.width, cssHeight: r.height, cell: Number(c.dataset.cell), cols: Number(c.dataset.cols), pad: Number(c.dataset.pad) };
      }, id);
    const out = await sizes('output-canvas-0');
    assert.equal(out.width, out.cssWidth * 2);
    assert.equal(out.height, out.cssHeight * 2);
    assert.equal(out.width, (out.cols + 2 * out.pad) * out.cell * 2);
    await page.goto(`${BASE_URL}#/classify`);
    await page.locator('canvas[data-testid="map-conv1-0"][data-draws]').waitFor({ timeout: 30000 });
    const map = await sizes('map-conv1-0');
    assert.equal(map.width, Math.round(map.cssWidth * 2));
    assert.equal(map.height, Math.round(map.cssHeight * 2));
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await hidpi.close();
  }
});

test('high-DPI: every chart (plotters) has one canvas pixel per device pixel, and is drawn', async () => {
  const hidpi = await openBrowser({ width: 1440, height: 1000, deviceScaleFactor: 2 });
  try {
    const { page, errors } = await openPage(hidpi.context);
    /** The canvas's backing store, CSS size and how many of its pixels are not white. */
    const chart = (selector) =>
      page.evaluate((selector) => {
        const c = document.querySelector(selector);
        const r = c.getBoundingClientRect();
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let inked = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) inked += 1;
        }
        return { width: c.width, height: c.height, cssWidth: r.width, cssHeight: r.height, inked, pixels: c.width * c.height };
      }, selector);
    const check = async (where, selector, minInk = 0.01) => {
      // Drawn: the effect has run once the canvas is no longer blank.
      await page.waitForFunction((selector) => {
        const c = document.querySelector(selector);
        if (!c || c.width < 2) return false;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
        return false;
      }, selector, { timeout: 30000 });
      const c = await chart(selector);
      assert.ok(c.cssWidth > 100, `${where} ${selector}: laid out (${c.cssWidth} px)`);
      assert.equal(c.width, Math.round(c.cssWidth * 2), `${where} ${selector}: width ${JSON.stringify(c)}`);
      assert.equal(c.height, Math.round(c.cssHeight * 2), `${where} ${selector}: height ${JSON.stringify(c)}`);
      assert.ok(c.inked / c.pixels >= minInk, `${where} ${selector}: ${c.inked} of ${c.pixels} pixels drawn`);
    };
    await page.goto(`${BASE_URL}#/pooling`);
    await check('pooling', '[data-testid="activation-plot"]');
    // The marker canvas over the plot: the same size, a dot and a line on it.
    await check('pooling', '.activation-marker', 0.0005);
    await page.goto(`${BASE_URL}#/convolution`);
    // A hash change swaps the page after the navigation returns: wait for the Convolution page's
    // own stage, so the plot measured is not the Pooling page's, being taken down.
    await page.getByTestId('stage').waitFor({ timeout: 20000 });
    await page.getByTestId('pool-stage').waitFor({ state: 'detached', timeout: 20000 });
    await check('convolution', '[data-testid="activation-plot"]');
    await page.goto(`${BASE_URL}#/classify`);
    await page.getByTestId('top-label').waitFor({ timeout: 30000 });
    await check('classify', '[data-testid="probability-chart"]');
    // The learning curves appear with a run's first points: a short one.
    await page.goto(`${BASE_URL}#/train`);
    await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
    await page.getByTestId('train-subset').fill('500');
    await page.getByTestId('train-test-images').fill('500');
    await page.getByTestId('train-epochs').fill('1');
    await page.getByTestId('train-start').click();
    await check('train', '[data-testid="loss-chart"]');
    await check('train', '[data-testid="accuracy-chart"]');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await hidpi.close();
  }
});
