// The pooling lab: max pooling picks (and highlights) the winner, average and sum write
// their arithmetic out, overlapping windows, per depth slice, the keyboard and click-to-jump,
// invalid settings explained, settings surviving a reload; and the activation explorer.
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

async function openLab(hash = '#/pooling') {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}${hash}`);
  await page.getByTestId('pool-stage').waitFor({ timeout: 20000 });
  // The lab listens to the keyboard from an effect of the render that drew the stage: a key
  // pressed the moment the stage appears was once lost (in a full run, not alone).
  await page.evaluate(() => new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0))));
  return { page, errors };
}

const text = async (page, id) => (await page.getByTestId(id).textContent()).trim();
const windowOf = (page, c = 0) => page.getByTestId(`pool-input-${c}`).getAttribute('data-window');

test('max pooling: the first window gives 6, its cell highlighted', async () => {
  const { page, errors } = await openLab();
  assert.equal(await text(page, 'pool-value'), '6');
  assert.equal(await text(page, 'pool-expression'), 'max(1, 1, 5, 6) = 6');
  assert.equal(await page.locator('[data-testid="pool-cells"] td.argmax').textContent(), '6');
  assert.equal(await text(page, 'pool-argmax'), 'the max comes from input (1, 1)');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the keyboard and a click on the pooled map move the window', async () => {
  const { page, errors } = await openLab();
  await page.keyboard.press('ArrowRight');
  assert.equal(await windowOf(page), '0,2');
  assert.equal(await text(page, 'pool-value'), '8');
  await page.keyboard.press('End');
  assert.equal(await windowOf(page), '2,2');
  await page.keyboard.press('Home');
  assert.equal(await windowOf(page), '0,0');
  const out = page.getByTestId('pool-output-0');
  const cell = Number(await out.getAttribute('data-cell'));
  await out.click({ position: { x: cell * 0.5, y: cell * 1.5 } });
  assert.equal(await windowOf(page), '2,0');
  assert.equal(await text(page, 'pool-value'), '3');
  assert.deepEqual(errors, []);
  await page.close();
});

test('average and sum pooling, overlapping windows, and settings that survive a reload', async () => {
  const { page, errors } = await openLab();
  await page.getByTestId('pool-kind').selectOption('avg');
  assert.equal(await text(page, 'pool-expression'), '(1 + 1 + 5 + 6) / 4 = 13/4 = 3.25');
  await page.getByTestId('pool-kind').selectOption('sum');
  assert.equal(await text(page, 'pool-value'), '13');
  await page.getByTestId('pool-window').fill('3');
  await page.getByTestId('pool-stride').fill('1');
  assert.equal(await page.getByTestId('pool-output-0').getAttribute('data-rows'), '2');
  await page.waitForFunction(() => location.hash.includes('s=1'));
  await page.reload();
  await page.getByTestId('pool-stage').waitFor();
  assert.equal(await page.getByTestId('pool-kind').inputValue(), 'sum');
  assert.equal(await page.getByTestId('pool-window').inputValue(), '3');
  assert.equal(await text(page, 'pool-value'), '28');
  assert.deepEqual(errors, []);
  await page.close();
});

test('each depth slice is pooled on its own; invalid settings explain themselves', async () => {
  const { page, errors } = await openLab('#/pooling?in=rgb');
  await page.getByTestId('pool-output-2').waitFor();
  await page.keyboard.press('End');
  assert.match(await page.locator('.output-cell').textContent(), /of slice 2/);
  await page.getByTestId('pool-padding').fill('2');
  await page.getByTestId('pool-error').waitFor();
  assert.match(await text(page, 'pool-error'), /padding 2 must be at most half the window 2/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the pooled size is the lecture\'s formula with its numbers; a border no window reaches is said', async () => {
  const { page, errors } = await openLab();
  const formula = async () => (await page.getByTestId('pool-formula').textContent()).trim();
  assert.match(await formula(), /W2 = \(W1 − F \+ 2P\)\/S \+ 1 = \(4 − 2 \+ 2·0\)\/2 \+ 1 = 2\/2 \+ 1 = 2/);
  assert.match(await formula(), /D2 = D1 = 1: pooling keeps the depth and has no parameters/);
  assert.equal(await page.getByTestId('pool-note').count(), 0);
  // F = 3, S = 2 on 4 × 4: one window per axis, the last row and column never pooled.
  await page.getByTestId('pool-window').fill('3');
  await page.getByTestId('pool-note').waitFor();
  assert.match(await formula(), /\(4 − 3 \+ 2·0\)\/2 \+ 1 = ⌊1\/2⌋ \+ 1 = 1/);
  assert.match(await text(page, 'pool-note'), /= 1 is not divisible by S = 2 \(remainder 1\): the last 1 input cell\(s\) are never covered/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the activation explorer: sigmoid(4) = 0.98, ReLU(−2) = 0', async () => {
  const { page, errors } = await openLab();
  assert.equal(await text(page, 'explore-value'), '0.98');
  await page.getByTestId('explore-activation').selectOption('relu');
  await page.getByTestId('explore-x').fill('-2');
  assert.equal(await text(page, 'explore-value'), '0');
  await page.getByTestId('explore-activation').selectOption('tanh');
  assert.equal(await text(page, 'explore-value'), '−0.96');
  // The function and x are in the link: a reload keeps them.
  await page.getByTestId('explore-x').fill('-1.5');
  assert.equal(await text(page, 'explore-value'), '−0.91');
  await page.waitForFunction(() => location.hash.includes('act=tanh') && location.hash.includes('x=-1.5'));
  await page.reload();
  await page.getByTestId('pool-stage').waitFor();
  assert.equal(await page.getByTestId('explore-activation').inputValue(), 'tanh');
  assert.equal(await page.getByTestId('explore-x').inputValue(), '-1.5');
  assert.equal(await text(page, 'explore-value'), '−0.91');
  assert.deepEqual(errors, []);
  await page.close();
});
