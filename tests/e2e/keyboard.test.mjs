// A keyboard-only journey through every page: only Tab, Shift+Tab, Enter, Space, the arrows
// and typing into a focused field (no click, no tap), each page's main task done, and the
// focused element always visibly focused (an outline, a ring or, for the architecture
// diagram's SVG blocks, a thick stroke) at every stop on the way.
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

/** The focused element: its test id (else a short name), and how its focus shows (null: not at all). */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { id: null, name: 'body', shows: 'nothing focused' };
    const name = `${el.tagName.toLowerCase()}${el.dataset?.testid ? `[${el.dataset.testid}]` : ''}`
      + `${el.getAttribute('aria-label') ? ` "${el.getAttribute('aria-label').slice(0, 40)}"` : ''}`;
    const seen = (cs) => {
      if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 1) return `outline ${cs.outlineWidth} ${cs.outlineStyle}`;
      if (cs.boxShadow && cs.boxShadow !== 'none') return `box-shadow ${cs.boxShadow}`;
      return null;
    };
    let shows = seen(getComputedStyle(el));
    if (!shows && el instanceof SVGElement) {
      const rect = el.querySelector('rect');
      if (rect && parseFloat(getComputedStyle(rect).strokeWidth) >= 2) shows = `stroke ${getComputedStyle(rect).strokeWidth}`;
    }
    return { id: el.dataset?.testid ?? null, name, shows, layer: el.dataset?.layer ?? null };
  });

/**
 * Presses `key` (Tab, or Shift+Tab) until the focused element satisfies `want` (a test id,
 * or a function of `focused`'s answer), failing if any stop on the way shows no focus.
 */
async function tabTo(page, want, { key = 'Tab', max = 150 } = {}) {
  const ok = typeof want === 'string' ? (f) => f.id === want : want;
  const path = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    path.push(f.name);
    assert.ok(f.shows, `focus not visible on ${f.name} (after ${path.slice(-4).join(' → ')})`);
    if (ok(f)) return f;
  }
  assert.fail(`${key} never reached ${want} (last stops: ${path.slice(-8).join(' → ')})`);
}

/** Selects a focused field's text and types `value` over it. */
async function typeOver(page, value) {
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(String(value));
}

const value = (page, id) => page.getByTestId(id).evaluate((el) => el.value);
const attr = (page, id, name) => page.getByTestId(id).getAttribute(name);
const text = async (page, id) => (await page.getByTestId(id).textContent()).trim();

test('Convolution by keyboard: the kernel editor takes a value, the player steps', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution`);
  await page.locator('[data-testid="stage"][data-maps="fresh"]').waitFor({ timeout: 30000 });
  await tabTo(page, 'kernel-0-0');
  const product = await text(page, 'product-0-0-0');
  // Typed, then Enter commits it: the weight, and the first product (window 1 × weight 7).
  await typeOver(page, '7');
  await page.keyboard.press('Enter');
  await page.waitForFunction((p) => document.querySelector('[data-testid="product-0-0-0"]').textContent.trim() !== p, product);
  assert.equal(await attr(page, 'kernel-0-0', 'data-value'), '7');
  assert.equal(await text(page, 'product-0-0-0'), '1·77');
  assert.equal(await attr(page, 'input-canvas', 'data-window'), '0,0');
  await tabTo(page, 'step-forward');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.window === '0,1');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.window === '0,2');
  // Back to the start with Shift+Tab.
  await tabTo(page, 'step-first', { key: 'Shift+Tab', max: 5 });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.window === '0,0');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Pooling by keyboard: the pooling op changes with the arrows on its menu', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/pooling`);
  await page.getByTestId('pool-value').waitFor({ timeout: 30000 });
  await tabTo(page, 'pool-kind');
  assert.equal(await value(page, 'pool-kind'), 'max');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('[data-testid="pool-kind"]').value === 'avg');
  await page.waitForFunction(() => /\) \/ \d/.test(document.querySelector('[data-testid="pool-expression"]').textContent));
  const before = await text(page, 'pool-expression');
  await tabTo(page, 'step-forward');
  await page.keyboard.press('Enter');
  await page.waitForFunction((b) => document.querySelector('[data-testid="pool-expression"]').textContent.trim() !== b, before);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Architectures by keyboard: a network picked, its layers walked through with Tab and Enter', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/architectures`);
  await page.getByTestId('arch-table').waitFor({ timeout: 30000 });
  await tabTo(page, 'arch-net');
  const first = await value(page, 'arch-net');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((f) => document.querySelector('[data-testid="arch-net"]').value !== f, first);
  const net = await value(page, 'arch-net');
  await page.waitForFunction((n) => location.hash.includes(n), net);
  // The first layer row, then the next two: Enter on each shows it in the detail panel.
  let row = await tabTo(page, (f) => f.id === 'layer-row');
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press(i === 1 ? 'Space' : 'Enter');
    await page.waitForFunction(
      (l) => document.querySelector('tr.arch-row.selected')?.dataset.layer === l,
      row.layer,
    );
    await page.locator('.arch-detail:not(.arch-detail-empty)').waitFor();
    const seen = row.layer;
    if (i < 2) row = await tabTo(page, (f) => f.id === 'layer-row' && f.layer !== seen, { max: 4 });
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('Classify by keyboard: a gallery digit classified, a feature map pixel explained', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-label').waitFor({ timeout: 30000 });
  await page.locator('canvas[data-testid="map-conv1-0"][data-draws]').waitFor({ timeout: 30000 });
  await tabTo(page, 'sample-0', { max: 200 });
  // A sample whose class is not the one shown now.
  const shown = await text(page, 'top-label');
  const f = await tabTo(page, (f) => /^sample-\d+$/.test(f.id ?? '') && f.name, { max: 1 });
  let sample = f.id;
  for (let i = 0; i < 30 && (await attr(page, sample, 'data-label')) === shown; i++) {
    sample = (await tabTo(page, (x) => /^sample-\d+$/.test(x.id ?? ''), { max: 1 })).id;
  }
  const label = await attr(page, sample, 'data-label');
  assert.notEqual(label, shown);
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    (l) => document.querySelector('[data-testid="top-label"]')?.textContent.trim() === l,
    label,
    { timeout: 20000 },
  );
  assert.equal(await attr(page, sample, 'aria-pressed'), 'true');
  // A first-layer map: Enter explains the cursor pixel (the inspector opens on it).
  await tabTo(page, 'map-conv1-0', { max: 250 });
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="inspector"]')?.dataset.pixel === '0,15,14', null, { timeout: 20000 });
  await page.getByTestId('explain-result').waitFor({ timeout: 30000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Train by keyboard: a short run set up, started and stopped', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/train`);
  await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
  await tabTo(page, 'train-subset');
  await typeOver(page, '500');
  await tabTo(page, 'train-test-images', { max: 3 });
  await typeOver(page, '500');
  await tabTo(page, 'train-epochs', { max: 3 });
  await typeOver(page, '3');
  await page.waitForFunction(() => document.querySelector('[data-testid="train-epochs"]').value === '3');
  await tabTo(page, 'train-start');
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="train-status"]')?.textContent.trim().startsWith('Training'),
    null,
    { timeout: 60000 },
  );
  await tabTo(page, 'train-stop', { max: 4 });
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => /^(Stopped|Finished)/.test(document.querySelector('[data-testid="train-status"]')?.textContent.trim()),
    null,
    { timeout: 60000 },
  );
  assert.deepEqual(errors, []);
  await page.close();
});
