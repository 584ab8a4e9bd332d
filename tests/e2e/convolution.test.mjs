// The convolution lab: the lecture's example step by step (products, sum = 4, sigmoid = 0.98),
// the keyboard and click-to-jump, the calculator (227, 11, 4, 0 → 55) and its explanations of
// invalid settings, hyper-parameters, presets, multi-channel, and settings surviving a reload.
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

async function openLab(hash = '#/convolution') {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}${hash}`);
  await page.getByTestId('stage').waitFor({ timeout: 20000 });
  return { page, errors };
}

const text = async (page, id) => (await page.getByTestId(id).textContent()).trim();
/** The stage shows the current settings with their maps. An edit of values only (a weight,
 * a preset, the activation) keeps the last settings on the stage until the worker answers. */
const fresh = (page) => page.locator('[data-testid="stage"][data-maps="fresh"]').waitFor();
const windowOf = (page) => page.getByTestId('input-canvas').getAttribute('data-window');

test('the default page is the lecture example: 4 at output (0, 0), sigmoid(4) = 0.98', async () => {
  const { page, errors } = await openLab();
  assert.equal(await text(page, 'output-value'), '4');
  assert.equal(
    await text(page, 'sum-expression'),
    'convolution = 1·1 + 1·0 + 1·1 + 0·0 + 1·1 + 1·0 + 0·1 + 0·0 + 1·1 = 4',
  );
  assert.equal(await text(page, 'activation-value'), '0.98');
  assert.equal(await text(page, 'product-0-0-0'), '1·11');
  assert.equal(await windowOf(page), '0,0');
  assert.match(await text(page, 'volume-dims'), /3 × 3 × 1/);
  assert.match(await text(page, 'volume-weights'), /\(3·3·1\)·1 = 9/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the keyboard moves the highlighted window: → ← End Home, space plays', async () => {
  const { page, errors } = await openLab();
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  assert.equal(await windowOf(page), '0,1');
  assert.equal(await text(page, 'output-value'), '3');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await windowOf(page), '1,0');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await windowOf(page), '0,2');
  await page.keyboard.press('End');
  assert.equal(await windowOf(page), '2,2');
  await page.keyboard.press('Home');
  assert.equal(await windowOf(page), '0,0');
  // Space plays: the window moves on its own, then space pauses.
  await page.keyboard.press(' ');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="input-canvas"]').dataset.window !== '0,0',
    null,
    { timeout: 5000 },
  );
  await page.keyboard.press(' ');
  assert.equal(await text(page, 'play'), '▶ Play');
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking an output cell jumps to its step; the scrubber moves to any step', async () => {
  const { page, errors } = await openLab();
  const out = page.getByTestId('output-canvas-0');
  const cell = Number(await out.getAttribute('data-cell'));
  // Output (2, 1): row 2, column 1.
  await out.click({ position: { x: cell * 1.5, y: cell * 2.5 } });
  assert.equal(await windowOf(page), '2,1');
  assert.equal(await text(page, 'output-value'), '3');
  await page.getByTestId('scrubber').fill('4');
  assert.equal(await windowOf(page), '1,1');
  assert.equal(await text(page, 'output-value'), '4');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the calculator: W = 227, F = 11, S = 4, P = 0 gives 55, also in the web worker', async () => {
  const { page, errors } = await openLab();
  for (const [id, v] of [['calc-w', '227'], ['calc-f', '11'], ['calc-s', '4'], ['calc-p', '0']]) {
    await page.getByTestId(id).fill(v);
  }
  assert.equal(await text(page, 'calc-result'), '55');
  assert.match(await text(page, 'calc-formula'), /\(227 − 11 \+ 2·0\)\/4 \+ 1 = 216\/4 \+ 1 = 54 \+ 1 = 55/);
  await page.getByTestId('worker-result').waitFor();
  assert.equal(await text(page, 'worker-result'), '55');
  assert.deepEqual(errors, []);
  await page.close();
});

test('invalid settings explain themselves: remainder, nearest values, kernel too large', async () => {
  const { page, errors } = await openLab();
  await page.getByTestId('calc-s').fill('5');
  const note = await text(page, 'calc-note');
  assert.match(note, /216 is not divisible by S = 5; remainder 1/);
  assert.match(note, /S = 4/);
  assert.match(note, /S = 6/);
  await page.getByTestId('calc-suggest-s-6').click();
  assert.equal(await text(page, 'calc-result'), '37');
  await page.getByTestId('calc-f').fill('300');
  const error = await text(page, 'calc-error');
  assert.match(error, /kernel spans 300 cells/);
  assert.match(error, /Nearest valid: P = 37/);
  await page.getByTestId('calc-s').fill('0');
  await page.getByTestId('calc-f').fill('11');
  assert.match(await text(page, 'calc-error'), /stride must be at least 1/);
  // The lab itself: a 7×7 kernel on the 5×5 image cannot run, and says why.
  await page.getByTestId('kernel-size').selectOption('7');
  await page.getByTestId('lab-error').waitFor();
  assert.match(await text(page, 'lab-error'), /kernel spans 7 cells/);
  assert.match(await text(page, 'volume-error'), /padded input has only 5/);
  assert.match(await text(page, 'volume-advice'), /Nearest valid: P = 1 \(keeping F\)/);
  await page.getByTestId('padding').fill('1');
  await page.getByTestId('stage').waitFor();
  assert.match(await text(page, 'volume-dims'), /1 × 1 × 1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a number the lab cannot take is refused with its reason, never read as another one', async () => {
  const { page, errors } = await openLab();
  // The calculator: 1.5 is not read as 15, nor -5 as 5.
  for (const typed of ['1.5', '-5']) {
    await page.getByTestId('calc-w').fill(typed);
    assert.equal(await text(page, 'calc-error'), 'Type a whole number for W.');
    assert.equal(await page.getByTestId('calc-result').count(), 0);
  }
  await page.getByTestId('calc-w').fill('227');
  assert.equal(await text(page, 'calc-result'), '55');
  // A hyper-parameter: with S = 2, a fraction or a value past 16 is refused, in words, and
  // the lab goes on with S = 2; leaving the field puts 2 back in it.
  await page.getByTestId('stride').fill('2');
  await page.getByTestId('padding').fill('1');
  await fresh(page);
  const dims = await text(page, 'volume-dims');
  assert.match(dims, /3 × 3 × 1/);
  await page.getByTestId('stride').fill('1.5');
  assert.equal(await text(page, 'stride-error'), "S takes a whole number from 0 to 16, not '1.5': it stays 2.");
  assert.equal(await page.getByTestId('stride').getAttribute('aria-invalid'), 'true');
  await page.getByTestId('stride').fill('100');
  assert.match(await text(page, 'stride-error'), /not '100': it stays 2\./);
  assert.equal(await text(page, 'volume-dims'), dims);
  assert.doesNotMatch(page.url(), /[?&]s=(1\.5|100|16)\b/);
  await page.getByTestId('stride').blur();
  assert.equal(await page.getByTestId('stride').inputValue(), '2');
  await page.getByTestId('stride').fill('1');
  assert.equal(await page.getByTestId('stride-error').count(), 0);
  await fresh(page);
  assert.match(await text(page, 'volume-dims'), /5 × 5 × 1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('every value of a grid is written in its cell, negative ones as well as positive ones', async () => {
  const { page, errors } = await openPage(browser.context);
  // Every number the canvases write, as written.
  await page.addInitScript(() => {
    window.writtenNumbers = new Set();
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (t, ...rest) {
      window.writtenNumbers.add(String(t));
      return fillText.call(this, t, ...rest);
    };
  });
  // Sobel x on the RGB image at S = 2, P = 1, then tanh: the map holds ±1, so tanh gives
  // ±0.76, in cells of 50 px where "−0.76" (five characters) did not fit the grid's font.
  await page.goto(`${BASE_URL}#/convolution?in=rgb&kp=sobelx&s=2&p=1&kf=3&act=tanh`);
  await page.getByTestId('stage').waitFor({ timeout: 20000 });
  await fresh(page);
  await page.waitForFunction(() => window.writtenNumbers.has('0.76'));
  await page.waitForFunction(() => window.writtenNumbers.has('−0.76'), null, { timeout: 5000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('hyper-parameters and presets drive the stepper; settings survive a reload', async () => {
  const { page, errors } = await openLab();
  await page.getByTestId('padding').fill('1');
  await page.getByTestId('stride').fill('2');
  assert.match(await text(page, 'volume-dims'), /3 × 3 × 1/);
  assert.equal(await windowOf(page), '-1,-1');
  assert.equal(await text(page, 'product-0-0-0'), '0·1pad');
  await page.getByTestId('kernel-preset').selectOption('sobelx');
  assert.equal(await page.getByTestId('kernel-0-0').inputValue(), '-1');
  await page.getByTestId('activation').selectOption('relu');
  await fresh(page);
  // Keys typed into a form control stay there; from the page they drive the stepper.
  await page.getByRole('heading', { level: 2 }).click();
  await page.keyboard.press('End');
  assert.equal(await windowOf(page), '3,3');
  const before = await text(page, 'output-value');
  await page.waitForFunction(() => location.hash.includes('s=2') && location.hash.includes('i=8'));
  await page.reload();
  await page.getByTestId('stage').waitFor();
  assert.equal(await page.getByTestId('stride').inputValue(), '2');
  assert.equal(await page.getByTestId('padding').inputValue(), '1');
  assert.equal(await page.getByTestId('kernel-preset').inputValue(), 'sobelx');
  assert.equal(await windowOf(page), '3,3');
  assert.equal(await text(page, 'output-value'), before);
  // A typed weight is kept too.
  await page.getByTestId('kernel-1-1').fill('2');
  await page.getByTestId('kernel-1-1').press('Tab');
  await page.waitForFunction(() => location.hash.includes('k='));
  await page.reload();
  await page.getByTestId('stage').waitFor();
  assert.equal(await page.getByTestId('kernel-1-1').inputValue(), '2');
  assert.deepEqual(errors, []);
  await page.close();
});

test('RGB input with K filters: products per channel summed across depth, a stack of K maps', async () => {
  const { page, errors } = await openLab('#/convolution?in=rgb&kf=2');
  await page.getByTestId('channel-sums').waitFor();
  assert.match(await text(page, 'channel-sums'), /R .* \+ G .* \+ B .* = /);
  assert.match(await text(page, 'volume-dims'), /6 × 6 × 2/);
  assert.match(await text(page, 'volume-weights'), /\(3·3·3\)·2 = 54/);
  await page.getByTestId('output-canvas-1').waitFor();
  await page.keyboard.press('End');
  assert.equal(await page.getByTestId('output-canvas-1').getAttribute('data-rows'), '6');
  // Depthwise: groups = 3 with K = 3.
  await page.getByTestId('filters').fill('3');
  await page.getByTestId('groups').fill('3');
  assert.match(await text(page, 'volume-weights'), /\(3·3·1\)·3 = 27/);
  await page.getByTestId('filters').fill('4');
  assert.match(await text(page, 'lab-error'), /groups = 3 does not divide/);
  assert.match(await text(page, 'volume-advice'), /Nearest valid: groups = 2 or groups = 4, or 3 or 6 channels/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the worker sends the maps the page draws; stepping onto a later map brings that map', async () => {
  const { page, errors } = await openLab('#/convolution?in=rgb&kf=2');
  await fresh(page);
  /** The hover text of cell (y, x) of a map's canvas (empty when the cell is blank). */
  const readout = async (id, y, x) => {
    const canvas = page.getByTestId(id);
    const cell = Number(await canvas.getAttribute('data-cell'));
    await canvas.hover({ position: { x: (x + 0.5) * cell, y: (y + 0.5) * cell } });
    return (await canvas.getAttribute('title')) ?? '';
  };
  // On map 0, map 1 is blank (the stepper has not reached it, and it was not sent).
  assert.doesNotMatch(await readout('output-canvas-1', 5, 5), /=/);
  // The last step: output (5, 5) of map 1. Its map, before and after the activation, come
  // from the worker's kept maps and read the stepper's numbers.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('End');
  const sum = await text(page, 'output-value');
  const value = await text(page, 'activation-value');
  // Map 1 arrives in a second answer: wait for it (5 s at most).
  let got = await readout('output-canvas-1', 5, 5);
  for (let i = 0; i < 50 && !got.includes('='); i++) {
    await page.waitForTimeout(100);
    got = await readout('output-canvas-1', 5, 5);
  }
  assert.equal(got, `(5, 5) = ${sum}`);
  assert.equal(await readout('pre-activation', 5, 5), `(5, 5) = ${sum}`);
  assert.equal(await readout('post-activation', 5, 5), `(5, 5) = ${value}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('dilation spreads the taps; transposed mode shows its size and result', async () => {
  const { page, errors } = await openLab('#/convolution?dil=2');
  assert.match(await text(page, 'volume-dims'), /1 × 1 × 1/);
  assert.match(await text(page, 'volume-w2'), /\(5 \+ 2·0 − 2·\(3 − 1\) − 1\)\/1 \+ 1 = 0\/1 \+ 1 = 1/);
  await page.getByTestId('mode').selectOption('transposed');
  await page.getByTestId('transposed-stage').waitFor();
  assert.match(await text(page, 'transposed-dims'), /9×9×1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('transposed mode refuses an output too large to draw, and says what to lower', async () => {
  // A 28×28 sample spread 16 apart, a 3×3 kernel dilated 16: 16 maps of 465×465.
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution?in=mnist0&mode=transposed&s=16&dil=16&kf=16`);
  await page.getByTestId('lab-error').waitFor({ timeout: 20000 });
  assert.equal(
    await text(page, 'lab-error'),
    'This transposed convolution cannot run'
      + 'the output would be 16 maps of 465×465 = 3,459,600 values; at most 2,000,000 are drawn — lower the stride, dilation or K.',
  );
  // Eight maps fit: the stage comes back.
  await page.getByTestId('filters').fill('8');
  await page.getByTestId('transposed-stage').waitFor();
  assert.match(await text(page, 'transposed-dims'), /465×465×8/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('transposed maps wider than the page stay reachable: the stage scrolls sideways to them', async () => {
  // Four maps of 465×465 at 2 px a cell: the output column starts past the panel's edge.
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution?in=mnist0&mode=transposed&s=16&dil=16&kf=4`);
  await page.waitForFunction(() => document.querySelector('[data-testid="transposed-stage"]')?.dataset.maps === 'fresh'
    && document.querySelector('[data-testid="transposed-dims"]')?.textContent.includes('465×465×4'), null, { timeout: 20000 });
  const out = page.getByTestId('t-output-0');
  await out.scrollIntoViewIfNeeded();
  // What the pointer finds at the map's visible centre is the map itself (not clipped away).
  const hit = await page.evaluate(() => {
    const r = document.querySelector('[data-testid="t-output-0"]').getBoundingClientRect();
    const x = Math.min(r.x + r.width / 2, window.innerWidth - 10);
    const y = Math.min(r.y + r.height / 2, window.innerHeight - 10);
    return document.elementFromPoint(x, y)?.dataset.testid ?? null;
  });
  assert.equal(hit, 't-output-0');
  await out.hover({ position: { x: 1, y: 1 } });
  assert.match(await out.getAttribute('title'), /^\(0, 0\) = /);
  assert.deepEqual(errors, []);
  await page.close();
});

test('drawn and dataset inputs', async () => {
  const { page, errors } = await openLab();
  await page.getByTestId('input-source').selectOption('draw');
  const pad = page.getByTestId('draw-pad');
  await pad.waitFor();
  const cell = Number(await pad.getAttribute('data-cell'));
  await pad.click({ position: { x: cell * 0.5, y: cell * 0.5 } });
  assert.match(await text(page, 'volume-dims'), /6 × 6 × 1/);
  assert.equal(await text(page, 'product-0-0-0'), '1·11');
  // Dragging paints a stroke: row 7, columns 0 to 5.
  const box = await pad.boundingBox();
  await page.mouse.move(box.x + cell * 0.5, box.y + cell * 7.5);
  await page.mouse.down();
  for (let x = 1; x <= 5; x += 1) await page.mouse.move(box.x + cell * (x + 0.5), box.y + cell * 7.5);
  await page.mouse.up();
  const input = page.getByTestId('input-canvas');
  const c = Number(await input.getAttribute('data-cell'));
  for (const x of [0, 3, 5]) {
    await input.hover({ position: { x: c * (x + 0.5), y: c * 7.5 } });
    assert.equal(await input.getAttribute('title'), `(7, ${x}) = 1`);
  }
  await input.hover({ position: { x: c * 6.5, y: c * 7.5 } });
  assert.equal(await input.getAttribute('title'), '(7, 6) = 0');
  await page.getByTestId('input-source').selectOption('mnist3');
  // The sample file arrives (the lecture's image stands in, with a notice, until then).
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]')?.dataset.rows === '28');
  assert.match(await text(page, 'volume-dims'), /26 × 26 × 1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a sample comes from the gallery file: the lecture image stands in while it loads; a failed load is explained', async () => {
  const { page, errors } = await openPage(browser.context);
  // The file is held back until the notice has been seen.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/samples/fashion-test.safetensors', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${BASE_URL}#/convolution?in=fashion3&i=100`);
  await page.getByTestId('stage').waitFor({ timeout: 20000 });
  assert.match(await text(page, 'sample-loading'), /Loading the Fashion-MNIST samples \(samples\/fashion-test\.safetensors\)/);
  assert.equal(await page.getByTestId('sample-loading').getAttribute('role'), 'status');
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '5');
  assert.equal(await page.getByTestId('input-source').inputValue(), 'fashion3');
  release();
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]')?.dataset.rows === '28');
  assert.equal(await page.getByTestId('sample-loading').count(), 0);
  assert.match(await text(page, 'volume-dims'), /26 × 26 × 1/);
  // The link's step, kept while the file loaded.
  assert.equal(await page.getByTestId('scrubber').inputValue(), '100');
  // The file fails to load: the page says so, and keeps working on the lecture image.
  await page.unrouteAll({ behavior: 'wait' });
  await page.route('**/samples/mnist-test.safetensors', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.getByTestId('input-source').selectOption('mnist5');
  await page.getByTestId('sample-error').waitFor();
  assert.equal(await page.getByTestId('sample-error').getAttribute('role'), 'alert');
  assert.match(await text(page, 'sample-error'), /The MNIST samples could not be loaded \(cannot fetch samples\/mnist-test\.safetensors: HTTP 404/);
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '5');
  assert.match(await text(page, 'volume-dims'), /3 × 3 × 1/);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
  await page.close();
});

test('hovering a cell reads its value; play advances a 28×28 input', async () => {
  const { page, errors } = await openLab('#/convolution?in=mnist0&v=60');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]')?.dataset.rows === '28');
  const input = page.getByTestId('input-canvas');
  const cell = Number(await input.getAttribute('data-cell'));
  assert.equal(await input.getAttribute('data-rows'), '28');
  await input.hover({ position: { x: cell * 0.5, y: cell * 0.5 } });
  assert.equal(await input.getAttribute('title'), '(0, 0) = 0');
  const step = async () => Number((await page.getByTestId('scrubber').inputValue()));
  const start = await step();
  const t0 = Date.now();
  await page.getByTestId('play').click();
  // Play must move the window: wait for five steps (the rate is reported, not asserted:
  // speed is for benchmarks).
  await page.waitForFunction((s) => Number(document.querySelector('[data-testid="scrubber"]').value) >= s + 5, start);
  await page.getByTestId('play').click();
  const advanced = (await step()) - start;
  assert.ok(advanced >= 5, 'play did not advance the window');
  console.log(`# play at speed 60/s advanced ${advanced} steps in ${Date.now() - t0} ms`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('kernel weights: the wheel nudges one weight, a half-typed value survives other renders', async () => {
  const { page, errors } = await openLab();
  // The lecture's kernel: centre weight 1, output (0, 0) = 4.
  const centre = page.getByTestId('kernel-1-1');
  assert.equal(await centre.inputValue(), '1');
  // The wheel event is dispatched on the cell itself: a real wheel goes to whatever lies under
  // the mouse, and the page may still be moving things (models loading) between hover and wheel.
  await centre.dispatchEvent('wheel', { deltaY: -100 });
  await page.waitForFunction(() => document.querySelector('[data-testid="kernel-1-1"]').value === '2');
  await fresh(page);
  // The centre tap reads input 1: the sum rises by one.
  assert.equal(await text(page, 'output-value'), '5');
  assert.equal(await text(page, 'product-0-1-1'), '1·22');
  await centre.dispatchEvent('wheel', { deltaY: 100, shiftKey: true });
  await page.waitForFunction(() => document.querySelector('[data-testid="kernel-1-1"]').value === '1.9');
  await fresh(page);
  assert.equal(await text(page, 'output-value'), '4.9');
  // The other weights kept theirs.
  assert.equal(await page.getByTestId('kernel-0-0').inputValue(), '1');
  assert.equal(await page.getByTestId('kernel-0-1').inputValue(), '0');
  // Typing into another cell, uncommitted: a render for another reason (the stepper moving)
  // leaves the text, and committing it sets that weight alone.
  const corner = page.getByTestId('kernel-2-2');
  await corner.fill('-3');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.window === '0,1');
  assert.equal(await corner.inputValue(), '-3');
  await corner.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="kernel-2-2"]').dataset.value === '-3');
  assert.equal(await page.getByTestId('kernel-1-1').inputValue(), '1.9');
  assert.deepEqual(errors, []);
  await page.close();
});
