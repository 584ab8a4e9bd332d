// The convolution lab beyond the lecture: the user's own image (file button, drop, paste;
// decoded in the image worker, which the first upload starts; kept across a reload; bad files explained), the shipped LeNet's
// conv1 filters as kernel presets (compared with the values read here from the
// safetensors file), transposed convolution on the stepper, and links pasted while on
// the page (hashchange).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';
import { encodePng } from './png.mjs';

let browser;
before(async () => {
  browser = await openBrowser({ width: 1440, height: 900 });
});
after(async () => {
  await browser?.close();
});

async function openLab(hash = '#/convolution', stage = 'stage') {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}${hash}`);
  await page.getByTestId(stage).waitFor({ timeout: 20000 });
  return { page, errors };
}

/** The lab with no upload kept (the tests share one browser profile). */
async function openCleanLab() {
  const { page, errors } = await openLab();
  // The worker has loaded (a reload before would abort its fetch: a failed request).
  await page.waitForFunction(() => !document.querySelector('option[value="lenet-mnist-0"]')?.disabled);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId('stage').waitFor();
  return { page, errors };
}

const text = async (page, id) => (await page.getByTestId(id).textContent()).trim();
const windowOf = (page, id = 'input-canvas') => page.getByTestId(id).getAttribute('data-window');

/** A 40×30 gray PNG: a bright square on a dark page, a diagonal line. */
function testPng() {
  const [width, height] = [40, 30];
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const square = x >= 8 && x < 24 && y >= 6 && y < 22;
      data[y * width + x] = square ? 230 : x === y ? 160 : 20;
    }
  }
  return encodePng({ width, height, channels: 1, data });
}

const file = (buffer, name = 'square.png', mimeType = 'image/png') => ({ name, mimeType, buffer });

test('an uploaded PNG is shown at the chosen size and the stepper runs on it', async () => {
  const { page, errors } = await openCleanLab();
  // The image worker (its decoders) loads when the upload's zone is first used, not with
  // the page.
  const images = [];
  page.on('request', (r) => r.url().endsWith('/images_bg.wasm') && images.push(r.url()));
  await page.waitForTimeout(500);
  assert.deepEqual(images, [], 'no image decoder is loaded with the page');
  await page.getByTestId('upload-size').selectOption('12');
  await page.getByTestId('upload-file').setInputFiles(file(testPng()));
  await page.getByTestId('upload-info').waitFor();
  assert.equal(images.length, 1, 'the upload loads the image worker, once');
  assert.equal(await text(page, 'upload-info'), 'uploaded 40×30 → 12×12');
  assert.equal(await page.getByTestId('input-source').inputValue(), 'upload');
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '12');
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-cols'), '12');
  assert.match(await text(page, 'volume-dims'), /10 × 10 × 1/);
  // The stepper walks the upload: → moves the window, End reaches the last cell, and the
  // written sum ends with the output value.
  await page.getByRole('heading', { level: 2 }).click();
  await page.keyboard.press('ArrowRight');
  assert.equal(await windowOf(page), '0,1');
  await page.keyboard.press('End');
  assert.equal(await windowOf(page), '9,9');
  const value = await text(page, 'output-value');
  assert.ok((await text(page, 'sum-expression')).endsWith(`= ${value}`));
  // Another size re-decodes the file.
  await page.getByTestId('upload-size').selectOption('28');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="input-canvas"]').dataset.rows === '28',
  );
  assert.equal(await text(page, 'upload-info'), 'uploaded 40×30 → 28×28');
  assert.match(await text(page, 'volume-dims'), /26 × 26 × 1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a corrupt or empty file shows the worker message; a valid upload afterwards works', async () => {
  const { page, errors } = await openCleanLab();
  const t0 = Date.now();
  const bad = Buffer.concat([testPng().subarray(0, 60), Buffer.from('garbage, not the rest of a PNG')]);
  await page.getByTestId('upload-file').setInputFiles(file(bad, 'broken.png'));
  const alert = page.getByRole('alert').filter({ hasText: 'This file cannot be used' });
  await alert.waitFor({ timeout: 1000 });
  assert.ok(Date.now() - t0 < 1000, 'the message appears within a second');
  assert.equal(await page.getByTestId('upload-error').getAttribute('role'), 'alert');
  // The page keeps working: still the lecture example.
  assert.equal(await text(page, 'output-value'), '4');
  await page.getByTestId('upload-file').setInputFiles(file(Buffer.alloc(0), 'empty.png'));
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="upload-error"]')?.textContent.includes('empty'),
  );
  await page.getByTestId('upload-file').setInputFiles(file(Buffer.from('just some text'), 'notes.txt', 'text/plain'));
  await page.waitForFunction(() =>
    !document.querySelector('[data-testid="upload-error"]')?.textContent.includes('empty'),
  );
  await page.getByTestId('upload-error').waitFor();
  // A valid file clears the message.
  await page.getByTestId('upload-size').selectOption('16');
  await page.getByTestId('upload-file').setInputFiles(file(testPng()));
  await page.getByTestId('upload-error').waitFor({ state: 'detached' });
  assert.equal(await text(page, 'upload-info'), 'uploaded 40×30 → 16×16');
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '16');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a file over 32 MiB is refused before it is read; a valid upload afterwards works', async () => {
  const { page, errors } = await openCleanLab();
  const big = Buffer.alloc(33 * 1024 * 1024);
  // Handing 33 MiB to the browser takes a while itself; the clock starts once the input
  // holds the file (its change event has then fired).
  await page.getByTestId('upload-file').setInputFiles(file(big, 'big.png'));
  const t0 = Date.now();
  await page.getByTestId('upload-error').waitFor({ timeout: 1000 });
  assert.ok(Date.now() - t0 < 1000, `the message appears at once (${Date.now() - t0} ms)`);
  assert.equal(
    await text(page, 'upload-error'),
    'This file cannot be used: big.png is 33.0 MiB: files over 32 MiB are refused.',
  );
  // Nothing was sent to the worker, and the page keeps the lecture example.
  assert.equal(await page.getByText('decoding in the web worker').count(), 0);
  assert.equal(await text(page, 'output-value'), '4');
  await page.getByTestId('upload-size').selectOption('16');
  await page.getByTestId('upload-file').setInputFiles(file(testPng()));
  await page.getByTestId('upload-error').waitFor({ state: 'detached' });
  assert.equal(await text(page, 'upload-info'), 'uploaded 40×30 → 16×16');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a worker that never answers ends the wait after 10 s with a message, and a fresh one is started', async () => {
  const { page, errors } = await openPage(browser.context);
  // The image worker's code never arrives: requests to it are queued and never answered.
  await page.route('**/images_bg.wasm', () => {});
  await page.goto(`${BASE_URL}#/convolution`);
  await page.getByTestId('stage').waitFor({ timeout: 20000 });
  await page.getByTestId('upload-file').setInputFiles(file(testPng()));
  await page.getByText('decoding in the web worker').waitFor();
  await page.getByTestId('upload-error').waitFor({ timeout: 15000 });
  assert.match(await text(page, 'upload-error'), /the web worker did not answer within 10 s; a fresh worker was started/);
  assert.match(await page.getByTestId('worker-notice').textContent(), /did not answer within 10 s/);
  assert.equal(await page.getByText('decoding in the web worker').count(), 0);
  assert.equal(await text(page, 'output-value'), '4');
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  assert.deepEqual(errors.filter((e) => !e.includes('images_bg.wasm')), []);
  await page.close();
});

test('drop and paste upload too; the upload survives a reload, and its absence is explained', async () => {
  const { page, errors } = await openCleanLab();
  const bytes = [...testPng()];
  // Drop onto the upload panel.
  await page.getByTestId('upload-size').selectOption('8');
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    const panel = document.querySelector('[data-testid="upload-panel"]');
    panel.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    panel.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.getByTestId('upload-info').waitFor();
  assert.equal(await text(page, 'upload-info'), 'uploaded 40×30 → 8×8');
  // Paste anywhere on the page, at another size.
  await page.getByTestId('upload-size').selectOption('12');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.rows === '12');
  await page.getByTestId('upload-info').filter({ hasText: '→ 12×12' }).waitFor();
  await page.getByTestId('input-source').selectOption('lecture');
  // Resizing the kept image does not switch the input back to it. The info says 16×16 at
  // once (the kept pixels are resampled); the worker's re-decode arrives later: await its
  // reply (the panel counts them), then look.
  await page.getByText('decoding in the web worker').waitFor({ state: 'detached' });
  const replies = Number(await page.getByTestId('upload-panel').getAttribute('data-replies'));
  await page.getByTestId('upload-size').selectOption('16');
  await page.getByTestId('upload-info').filter({ hasText: '→ 16×16' }).waitFor();
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="upload-panel"]').dataset.replies) > n,
    replies,
  );
  assert.equal(await page.getByTestId('input-source').inputValue(), 'lecture');
  await page.getByTestId('upload-size').selectOption('12');
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.waitForFunction(() => document.querySelector('[data-testid="input-source"]').value === 'upload');
  await page.getByTestId('upload-info').filter({ hasText: '→ 12×12' }).waitFor();
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '12');
  const shown = await text(page, 'sum-expression');
  // Reload: the pixels come back from localStorage.
  await page.waitForFunction(() => location.hash.includes('in=upload'));
  await page.reload();
  await page.getByTestId('stage').waitFor();
  assert.equal(await page.getByTestId('input-source').inputValue(), 'upload');
  assert.equal(await text(page, 'upload-info'), 'uploaded 40×30 → 12×12');
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '12');
  assert.equal(await text(page, 'sum-expression'), shown);
  // After a reload the file is gone: a new size resamples the stored pixels.
  await page.getByTestId('upload-size').selectOption('16');
  await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]').dataset.rows === '16');
  // Nothing stored: the lecture's image stands in, with a notice.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId('stage').waitFor();
  await page.getByTestId('upload-missing').waitFor();
  assert.equal(await page.getByTestId('input-canvas').getAttribute('data-rows'), '5');
  assert.equal(await text(page, 'output-value'), '4');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a stored upload that cannot be read is explained once, then forgotten', async () => {
  const { page, errors } = await openCleanLab();
  // Reload only once the worker has loaded both models (a reload would abort a fetch).
  const loaded = () => page.waitForFunction(
    () => !document.querySelector('option[value="lenet-mnist-0"]')?.disabled
      && !document.querySelector('option[value="lenet-fashion-0"]')?.disabled,
  );
  await loaded();
  await page.evaluate(() => localStorage.setItem('convscope.lab.upload', 'v0;not an upload'));
  await page.reload();
  await page.getByTestId('stage').waitFor();
  assert.match(await text(page, 'upload-storage-note'), /could not be restored: the stored upload is not in the v1 format/);
  assert.equal(await page.evaluate(() => localStorage.getItem('convscope.lab.upload')), null);
  // The next visit starts clean: the notice is drawn with the first render, or not at all.
  await loaded();
  await page.reload();
  await page.getByTestId('stage').waitFor();
  assert.equal(await page.getByTestId('upload-storage-note').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

/** conv1 weight `[6, 1, 5, 5]` and bias `[6]` read from a safetensors file. */
function conv1Of(path) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const tensor = (name) => {
    const { dtype, shape, data_offsets: [a, b] } = header[name];
    assert.equal(dtype, 'F32');
    const bytes = buf.subarray(8 + n + a, 8 + n + b);
    const out = [];
    for (let i = 0; i < bytes.length; i += 4) out.push(bytes.readFloatLE(i));
    assert.equal(out.length, shape.reduce((p, d) => p * d, 1));
    return out;
  };
  return { weight: tensor('conv1.weight'), bias: tensor('conv1.bias') };
}

test('LeNet conv1 presets put the file values into the kernel', async () => {
  const { page, errors } = await openLab();
  const models = {
    mnist: conv1Of(new URL('../../www/models/lenet-mnist.safetensors', import.meta.url)),
    fashion: conv1Of(new URL('../../www/models/lenet-fashion.safetensors', import.meta.url)),
  };
  // Enabled once the worker has parsed the file.
  await page.waitForFunction(
    () => !document.querySelector('option[value="lenet-fashion-5"]')?.disabled
      && !document.querySelector('option[value="lenet-mnist-0"]')?.disabled,
    null,
    { timeout: 10000 },
  );
  assert.equal(await page.locator('option[value="lenet-mnist-2"]').textContent(), 'LeNet conv1 #3 (MNIST)');
  for (const [model, filter] of [['mnist', 0], ['mnist', 3], ['fashion', 5]]) {
    await page.getByTestId('kernel-preset').selectOption(`lenet-${model}-${filter}`);
    assert.equal(await page.getByTestId('kernel-size').inputValue(), '5');
    const { weight, bias } = models[model];
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 5; x++) {
        const shown = await page.getByTestId(`kernel-${y}-${x}`).getAttribute('data-value');
        const expected = weight[filter * 25 + y * 5 + x];
        assert.equal(Math.fround(Number(shown)), expected, `${model} #${filter} (${y}, ${x})`);
      }
    }
    const note = await text(page, 'lenet-bias');
    const b = Number(note.match(/bias b = (\S+) /)[1]);
    assert.equal(Math.fround(b), bias[filter]);
    assert.match(await text(page, 'volume-dims'), /1 × 1 × 1/);
  }
  // The choice survives a reload (its values travel in the URL).
  await page.waitForFunction(() => location.hash.includes('lk=lenet-fashion-5'));
  await page.reload();
  await page.getByTestId('stage').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="kernel-preset"]').value === 'lenet-fashion-5');
  assert.equal(
    Math.fround(Number(await page.getByTestId('kernel-4-4').getAttribute('data-value'))),
    models.fashion.weight[5 * 25 + 24],
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('a missing model file shows a message and leaves its presets disabled', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.route('**/models/lenet-fashion.safetensors', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(`${BASE_URL}#/convolution`);
  await page.getByTestId('lenet-error-fashion').waitFor({ timeout: 10000 });
  assert.match(await text(page, 'lenet-error-fashion'), /HTTP 404/);
  assert.equal(await page.locator('option[value="lenet-fashion-0"]').isDisabled(), true);
  await page.waitForFunction(() => !document.querySelector('option[value="lenet-mnist-0"]')?.disabled);
  // The browser itself reports the 404 (the response and a console line); nothing else failed.
  assert.ok(errors.some((e) => e.includes('lenet-fashion')));
  assert.deepEqual(errors.filter((e) => !e.includes('lenet-fashion') && !e.includes('status of 404')), []);
  await page.close();
});

/** The lecture image and kernel, transposed with stride 2 (the scatter form, by hand). */
function lectureTransposed() {
  const img = [
    [1, 1, 1, 0, 0],
    [0, 1, 1, 1, 0],
    [0, 0, 1, 1, 1],
    [0, 0, 1, 1, 0],
    [0, 1, 1, 0, 0],
  ];
  const k = [
    [1, 0, 1],
    [0, 1, 0],
    [1, 0, 1],
  ];
  const out = Array.from({ length: 11 }, () => new Array(11).fill(0));
  for (let iy = 0; iy < 5; iy++)
    for (let ix = 0; ix < 5; ix++)
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++) out[iy * 2 + ky][ix * 2 + kx] += img[iy][ix] * k[ky][kx];
  return out;
}

test('transposed mode steps: the keyboard moves the window, the written sum is the output cell', async () => {
  const { page, errors } = await openLab('#/convolution?mode=transposed&s=2', 'transposed-stage');
  const expected = lectureTransposed();
  const win = () => windowOf(page, 't-upsampled-0');
  assert.match(await text(page, 'transposed-dims'), /11×11×1/);
  // The upsampled input: 9×9 (holes between the 5×5 cells), padded by D·(F − 1) − P = 2.
  assert.equal(await page.getByTestId('t-upsampled-0').getAttribute('data-rows'), '9');
  assert.equal(await page.getByTestId('t-upsampled-0').getAttribute('data-pad'), '2');
  const check = async (y, x) => {
    const value = await text(page, 'output-value');
    assert.equal(Number(value), expected[y][x], `output (${y}, ${x})`);
    assert.ok((await text(page, 'sum-expression')).endsWith(`= ${value}`));
  };
  assert.equal(await win(), '-2,-2');
  await check(0, 0);
  // The first window lies over the border: its empty taps are padding, not stride holes.
  assert.match(await text(page, 'products'), /pad/);
  assert.doesNotMatch(await text(page, 'products'), /hole/);
  await page.getByRole('heading', { level: 2 }).click();
  await page.keyboard.press('ArrowRight');
  assert.equal(await win(), '-2,-1');
  await check(0, 1);
  for (let i = 0; i < 11; i++) await page.keyboard.press('ArrowRight');
  assert.equal(await win(), '-1,-1');
  await check(1, 1);
  await page.keyboard.press('End');
  assert.equal(await win(), '8,8');
  await check(10, 10);
  await page.keyboard.press('ArrowLeft');
  await check(10, 9);
  // Clicking an output cell jumps to its step; its window covers stride holes.
  const out = page.getByTestId('t-output-0');
  const cell = Number(await out.getAttribute('data-cell'));
  await out.click({ position: { x: cell * 4.5, y: cell * 2.5 } });
  assert.equal(await win(), '0,2');
  await check(2, 4);
  assert.match(await text(page, 'products'), /hole/);
  // Space plays.
  await page.keyboard.press('Home');
  await page.keyboard.press(' ');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="t-upsampled-0"]').dataset.window !== '-2,-2',
    null,
    { timeout: 5000 },
  );
  await page.keyboard.press(' ');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link pasted while on the page is read again (hashchange)', async () => {
  const { page, errors } = await openLab();
  assert.match(await text(page, 'volume-dims'), /3 × 3 × 1/);
  await page.evaluate(() => {
    location.hash = '#/convolution?s=2&p=1&kp=sobelx';
  });
  await page.waitForFunction(() => document.querySelector('[data-testid="stride"]').value === '2');
  assert.equal(await page.getByTestId('padding').inputValue(), '1');
  assert.equal(await page.getByTestId('kernel-preset').inputValue(), 'sobelx');
  assert.match(await text(page, 'volume-dims'), /3 × 3 × 1/);
  assert.equal(await windowOf(page), '-1,-1');
  await page.evaluate(() => {
    location.hash = '#/convolution?mode=transposed';
  });
  await page.getByTestId('transposed-stage').waitFor();
  assert.equal(await page.getByTestId('stride').inputValue(), '1');
  // The pooling page too.
  await page.evaluate(() => {
    location.hash = '#/pooling';
  });
  await page.getByTestId('pool-stage').waitFor();
  await page.evaluate(() => {
    location.hash = '#/pooling?f=3&s=1';
  });
  await page.waitForFunction(() => document.querySelector('[data-testid="pool-window"]').value === '3');
  assert.equal(await page.getByTestId('pool-stride').inputValue(), '1');
  assert.deepEqual(errors, []);
  await page.close();
});
