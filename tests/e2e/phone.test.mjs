// Every page on a phone (390 × 844 CSS pixels, a touch screen, the meta viewport honoured):
// the page never scrolls sideways (only a genuinely wide table or diagram scrolls, inside
// its own container), and each page's main task works with taps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

const WIDTH = 390;
let browser;
before(async () => {
  browser = await openBrowser({ width: WIDTH, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
});
after(async () => {
  await browser?.close();
});

/**
 * How wide the document is, and every element that reaches past the viewport's right edge
 * (or left of 0) without an ancestor that scrolls or clips it sideways.
 */
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const clipped = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const x = getComputedStyle(a).overflowX;
        if (x === 'auto' || x === 'scroll' || x === 'hidden' || x === 'clip') return true;
      }
      return false;
    };
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`
      + `${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''}`
      + `${typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if ((r.right > width + 0.5 || r.left < -0.5) && !clipped(el)) {
        out.push(`${name(el)} ${Math.round(r.left)}–${Math.round(r.right)}`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 8) };
  });
}

async function assertFits(page, what) {
  const o = await overflow(page);
  assert.equal(o.width, WIDTH, `${what}: the layout viewport is the phone's width`);
  assert.ok(o.scrollWidth <= WIDTH, `${what}: the document is ${o.scrollWidth} px wide: ${o.out.join('; ')}`);
  assert.deepEqual(o.out, [], `${what}: elements past the right edge`);
}

test('Convolution on a phone: no sideways scroll; the player steps with taps', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution`);
  await page.locator('[data-testid="stage"][data-maps="fresh"]').waitFor({ timeout: 30000 });
  await assertFits(page, 'convolution');
  const input = page.getByTestId('input-canvas');
  const before = await input.getAttribute('data-window');
  await page.getByTestId('step-forward').tap();
  await page.waitForFunction((w) => document.querySelector('[data-testid="input-canvas"]').dataset.window !== w, before);
  // The transposed mode and the drawing grid fit too.
  await page.getByTestId('input-source').selectOption('draw');
  await page.getByTestId('draw-pad').waitFor();
  await assertFits(page, 'convolution, drawing grid');
  await page.goto(`${BASE_URL}#/convolution?mode=transposed`);
  await page.getByTestId('transposed-stage').waitFor({ timeout: 20000 });
  await assertFits(page, 'convolution, transposed');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Pooling on a phone: no sideways scroll; the pooling op changes with a tap', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/pooling`);
  await page.getByTestId('pool-value').waitFor({ timeout: 30000 });
  await assertFits(page, 'pooling');
  await page.getByTestId('pool-kind').selectOption('avg');
  await page.waitForFunction(() => /\) \/ \d/.test(document.querySelector('[data-testid="pool-expression"]').textContent));
  await assertFits(page, 'pooling, average');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Architectures on a phone: no sideways scroll outside the table; a network and a layer chosen with taps', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/architectures`);
  await page.getByTestId('arch-table').waitFor({ timeout: 30000 });
  await assertFits(page, 'architectures');
  await page.getByTestId('arch-net').selectOption('resnet18');
  await page.waitForFunction(() => /ResNet/i.test(document.querySelector('[data-testid="arch-table"]').textContent));
  await assertFits(page, 'architectures, resnet18');
  const row = page.locator('[data-testid="arch-table"] tbody tr.arch-row:not(.arch-row-input)').nth(1);
  await row.scrollIntoViewIfNeeded();
  await row.tap();
  await page.locator('.arch-row.selected').waitFor();
  await page.locator('.arch-detail:not(.arch-detail-empty)').waitFor();
  await assertFits(page, 'architectures, a layer chosen');
  // The details come after the whole table here: choosing a row brings them into view
  // (ResNet-152's table is thousands of pixels long).
  await page.getByTestId('arch-net').selectOption('resnet152');
  await page.waitForFunction(() => /ResNet-152/i.test(document.querySelector('[data-testid="arch-table"]').textContent));
  const first = page.locator('[data-testid="arch-table"] tbody tr.arch-row:not(.arch-row-input)').first();
  await first.scrollIntoViewIfNeeded();
  await first.tap();
  await page.waitForFunction(() => {
    const r = document.querySelector('[data-testid="arch-detail"]:not(.arch-detail-empty)')?.getBoundingClientRect();
    return r && r.top > -2 && r.top < window.innerHeight / 2;
  }, null, { timeout: 5000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Classify on a phone: no sideways scroll; a gallery digit is classified with a tap', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-label').waitFor({ timeout: 30000 });
  await page.locator('canvas[data-testid="map-conv1-0"][data-draws]').waitFor({ timeout: 30000 });
  await assertFits(page, 'classify');
  // A sample of another class than the one shown now.
  const shown = (await page.getByTestId('top-label').textContent()).trim();
  const id = await page.evaluate((shown) => [...document.querySelectorAll('[data-testid^="sample-"]')]
    .find((b) => b.dataset.label !== shown)?.dataset.testid, shown);
  const sample = page.getByTestId(id);
  const label = await sample.getAttribute('data-label');
  await sample.scrollIntoViewIfNeeded();
  await sample.tap();
  await page.waitForFunction(
    (l) => document.querySelector('[data-testid="top-label"]')?.textContent.trim() === l,
    label,
    { timeout: 20000 },
  );
  await assertFits(page, 'classify, a sample chosen');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Train on a phone: no sideways scroll; the form and controls answer taps', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/train`);
  await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
  await assertFits(page, 'train');
  await page.getByTestId('train-preset').selectOption('lenet5-relu');
  await page.waitForFunction(() => document.querySelector('[data-testid="train-params"]')?.textContent === '61,706');
  await assertFits(page, 'train, LeNet-5');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a finger and a pen paint on the Convolution drawing grid (the page does not scroll under the finger)', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution`);
  await page.locator('[data-testid="stage"][data-maps="fresh"]').waitFor({ timeout: 30000 });
  await page.getByTestId('input-source').selectOption('draw');
  const pad = page.getByTestId('draw-pad');
  await pad.waitFor();
  // An empty grid: a stroke that starts on an empty cell paints (on a drawn one it erases).
  await page.locator('.draw-pad button', { hasText: 'clear' }).tap();
  await pad.scrollIntoViewIfNeeded();
  const cell = Number(await pad.getAttribute('data-cell'));
  const box = await pad.boundingBox();
  const at = (row, col) => ({ x: box.x + cell * (col + 0.5), y: box.y + cell * (row + 0.5) });
  const cdp = await browser.context.newCDPSession(page);
  // A finger drags up column 2, rows 5 to 0 (real touch input: the browser's own hit
  // testing, touch-action, gestures and pointer events). Upwards, so that a drag the page
  // took would scroll it down (with touch-action: auto it scrolls about 100 px and the
  // stroke is cancelled).
  const scrollBefore = await page.evaluate(() => window.scrollY);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ ...at(5, 2), id: 1 }] });
  for (let row = 4; row >= 0; row--) {
    for (const f of [0.5, 0]) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ ...at(row + f, 2), id: 1 }] });
    }
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  // A scroll the drag started would have landed by the next frames.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await page.evaluate(() => window.scrollY), scrollBefore, 'the finger painted, it did not scroll the page');
  // A pen drags along row 7, columns 0 to 5.
  const pen = (type, { x, y }, buttons) =>
    cdp.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', buttons, clickCount: 1, pointerType: 'pen' });
  await pen('mouseMoved', at(7, 0), 0);
  await pen('mousePressed', at(7, 0), 1);
  for (let col = 1; col <= 5; col++) await pen('mouseMoved', at(7, col), 1);
  await pen('mouseReleased', at(7, 5), 0);
  await cdp.detach();
  // The grid's values, read from the input map's cells (its title names the hovered cell).
  const input = page.getByTestId('input-canvas');
  await input.scrollIntoViewIfNeeded();
  const c = Number(await input.getAttribute('data-cell'));
  const valueAt = async (row, col) => {
    await input.hover({ position: { x: c * (col + 0.5), y: c * (row + 0.5) } });
    return input.getAttribute('title');
  };
  for (const row of [0, 3, 5]) assert.equal(await valueAt(row, 2), `(${row}, 2) = 1`);
  assert.equal(await valueAt(6, 2), '(6, 2) = 0');
  for (const col of [0, 3, 5]) assert.equal(await valueAt(7, col), `(7, ${col}) = 1`);
  assert.equal(await valueAt(7, 6), '(7, 6) = 0');
  assert.deepEqual(errors, []);
  await page.close();
});
