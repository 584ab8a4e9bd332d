// The Train page: a network trained live in its own worker, its history saved in the
// browser, its weights downloaded and taken by the Classify page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

async function trainPage() {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/train`);
  await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
  return { page, errors };
}

const status = async (page) => (await page.getByTestId('train-status').textContent()).trim();

async function waitStatus(page, prefix, timeout = 180000) {
  await page.waitForFunction(
    (p) => document.querySelector('[data-testid="train-status"]')?.textContent.trim().startsWith(p),
    prefix,
    { timeout },
  );
}

async function setField(page, id, value) {
  await page.getByTestId(id).fill(String(value));
}

/** A fresh page with LeNet-5 (ReLU, max) and a small MNIST run set up. */
async function setUp(page, { epochs, train = 2000, test = 1000, batch = 64, lr = 0.001 }) {
  if ((await page.getByTestId('train-reset').isEnabled())) {
    await page.getByTestId('train-reset').click();
    await waitStatus(page, 'Ready');
  }
  await page.getByTestId('train-preset').selectOption('lenet5-relu');
  await page.getByTestId('train-dataset').selectOption('mnist');
  await setField(page, 'train-subset', train);
  await setField(page, 'train-test-images', test);
  await setField(page, 'train-epochs', epochs);
  await setField(page, 'train-batch', batch);
  await page.getByTestId('train-optimizer').selectOption('adam');
  await setField(page, 'train-lr', lr);
}

test('LeNet-5 trains for one epoch on 2,000 digits: the loss falls and the test accuracy passes 80 %', async () => {
  const { page, errors } = await trainPage();
  // 2,000 images in batches of 16: 125 steps.
  await setUp(page, { epochs: 1, batch: 16, lr: 0.002 });
  assert.equal(await page.getByTestId('train-params').textContent(), '61,706');
  await page.getByTestId('train-start').click();
  await waitStatus(page, 'Finished');
  // A fresh profile: the data came over the network (and went into the Cache API).
  assert.match(await page.getByTestId('train-data-source').textContent(), /^MNIST: (\d+) of \1 data files downloaded, 0 read/);
  const accuracy = parseFloat(await page.getByTestId('train-test-accuracy').first().textContent());
  assert.ok(accuracy > 80, `test accuracy ${accuracy} %`);
  const row = await page.getByTestId('train-epoch-row').first().locator('td').allTextContents();
  const testLoss = parseFloat(row[3]);
  assert.ok(testLoss < 1.0, `test loss ${testLoss} (ln 10 = 2.30 before training)`);
  // What the page shows while and after it learns.
  for (const id of ['loss-chart', 'accuracy-chart', 'confusion', 'train-snapshot']) {
    assert.equal(await page.getByTestId(id).count(), 1, id);
  }
  // The charts' key is text a screen reader reads, once for both charts.
  assert.equal((await page.getByTestId('chart-key').textContent()).trim(), 'training test, after each epoch');
  assert.equal(await page.getByTestId('recall-0').count(), 1);
  assert.ok((await page.getByTestId('train-wrong').count()) > 0);
  assert.ok((await page.getByTestId('filters').count()) > 0);

  // The network goes to the Classify page two ways — downloaded as a file, and handed over
  // with one of its mistakes — and the Classify worker's prediction for that test image
  // equals the training worker's, both ways.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('train-download').click(),
  ]);
  const weights = readFileSync(await download.path());
  const wrong = page.getByTestId('train-wrong').first();
  const predicted = await wrong.getAttribute('data-predicted');
  const confidence = parseFloat(await wrong.getAttribute('data-confidence'));
  const samePrediction = async (how) => {
    const top = page.getByTestId('top-class');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="top-class"]')?.textContent.includes('from the Train page'),
      null,
      { timeout: 30000 },
    );
    assert.equal(await top.getAttribute('data-label'), predicted, how);
    const got = parseFloat(await top.getAttribute('data-confidence'));
    assert.ok(Math.abs(got - confidence) <= 2e-4, `${how}: confidence ${got}, the training worker's ${confidence}`);
  };
  await wrong.getByTestId('train-wrong-classify').click();
  await page.waitForFunction(() => location.hash === '#/classify?model=trained');
  await samePrediction('handed over');
  assert.equal(await page.getByTestId('model').inputValue(), 'trained');
  // The same image with the downloaded file: the last input runs again on the new model.
  await page.getByTestId('model-file').setInputFiles({ name: 'trained.safetensors', mimeType: 'application/octet-stream', buffer: weights });
  await page.waitForFunction(() => document.querySelector('[data-testid="model"]')?.value === 'file', null, { timeout: 30000 });
  await samePrediction('from the downloaded file');
  // A reload keeps the trained network: the Classify page reads the run saved in the browser
  // (a file cannot survive a reload: the link to the trained network is reloaded). The page
  // drops the file from the URL 250 ms after it was chosen; that write is waited for first,
  // or it could land between the link and the reload.
  await page.waitForFunction(() => location.hash === '#/classify');
  await page.evaluate(() => { location.hash = '#/classify?model=trained'; });
  await page.reload();
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('model').inputValue(), 'trained');
  assert.equal(await page.getByTestId('model-error').count(), 0);
  assert.equal(await page.getByTestId('fact-dataset').textContent(), 'MNIST');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an invalid network gets the explorer\'s message and Start is disabled', async () => {
  const { page, errors } = await trainPage();
  await page.getByTestId('train-text').fill('conv 6 5x5, relu, maxpool 2, conv 16 30x30, flatten, linear 10');
  await page.getByTestId('train-error').waitFor();
  const message = await page.getByTestId('train-error').textContent();
  assert.match(message, /conv2/);
  assert.equal(await page.getByTestId('train-start').isDisabled(), true);
  await page.getByTestId('train-text').fill('conv 6 5x5, relu, flatten, linear 7');
  await page.waitForFunction(() => document.querySelector('[data-testid="train-error"]')?.textContent.includes('linear 10'));
  assert.equal(await page.getByTestId('train-start').isDisabled(), true);
  await page.getByTestId('train-text').fill('conv 4 5x5, relu, maxpool 2, flatten, linear 10');
  await page.getByTestId('train-layers').waitFor();
  assert.equal(await page.getByTestId('train-start').isDisabled(), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pause, reload, resume: the run comes back from the browser and its history goes on', async () => {
  const { page, errors } = await trainPage();
  await setUp(page, { epochs: 2 });
  await page.getByTestId('train-start').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="train-epoch-row"]').length === 1, null, { timeout: 180000 });
  await page.getByTestId('train-pause').click();
  await waitStatus(page, 'Paused');
  const firstEpoch = await page.getByTestId('train-epoch-row').first().textContent();
  // Let the save land, then reload: a new worker restores it.
  await page.waitForTimeout(500);
  await page.reload();
  await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
  await page.getByTestId('train-notice').waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('train-notice').textContent(), /Restored the paused run/);
  assert.match(await status(page), /^Paused/);
  assert.equal(await page.getByTestId('train-epoch-row').count(), 1);
  assert.equal(await page.getByTestId('train-epoch-row').first().textContent(), firstEpoch);
  await page.getByTestId('train-resume').click();
  await waitStatus(page, 'Finished');
  // The new worker read the images again — from the browser's cache, not the network.
  assert.match(await page.getByTestId('train-data-source').textContent(), /^MNIST: all \d+ data files read from this browser's cache/);
  assert.equal(await page.getByTestId('train-epoch-row').count(), 2);
  assert.equal(await page.getByTestId('train-epoch-row').first().textContent(), firstEpoch);

  // Download the weights; the Classify page takes the file.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('train-download').click(),
  ]);
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.length > 61706 * 4, `${bytes.length} bytes`);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  await page.getByTestId('model-file').setInputFiles({ name: 'trained.safetensors', mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction(() => document.body.textContent.includes('test images after epoch 2 in convscope'), null, { timeout: 30000 });
  assert.equal(await page.getByTestId('model-error').count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a reload while a run trains: it comes back paused from its last save, with a notice saying so', async () => {
  const { page, errors } = await trainPage();
  // 8,000 images in batches of 16: an epoch takes seconds, so the reload lands mid-epoch.
  await setUp(page, { epochs: 3, train: 8000, batch: 16 });
  await page.getByTestId('train-start').click();
  // Mid-epoch 2: epoch 1 was saved, and the run went on.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="train-epoch-row"]').length === 1, null, { timeout: 180000 });
  await waitStatus(page, 'Training · epoch 2');
  const firstEpoch = await page.getByTestId('train-epoch-row').first().textContent();
  await page.waitForTimeout(300);
  await page.reload();
  await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
  await page.getByTestId('train-notice').waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('train-notice').textContent(), /interrupted/);
  assert.match(await status(page), /^Paused/);
  assert.ok((await page.getByTestId('train-epoch-row').count()) >= 1);
  assert.equal(await page.getByTestId('train-epoch-row').first().textContent(), firstEpoch);
  await page.getByTestId('train-reset').click();
  await waitStatus(page, 'Ready');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no room in the browser\'s storage: a message says progress is not saved, and training still works', async () => {
  const { page, errors } = await trainPage();
  // Chromium's own quota override (DevTools protocol): 10 kB for this origin, far less than
  // one save of LeNet-5's weights and optimizer state.
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(BASE_URL).origin;
  // From empty storage (what earlier tests saved would otherwise be counted against the
  // quota only as Chromium's cached usage allows).
  await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 10000 });
  await page.reload();
  await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
  await setUp(page, { epochs: 1 });
  await page.getByTestId('train-start').click();
  await waitStatus(page, 'Finished');
  await page.getByTestId('train-notice').waitFor({ timeout: 30000 });
  assert.match(await page.getByTestId('train-notice').textContent(), /not saved/);
  assert.match(await page.getByTestId('train-notice').textContent(), /quota|room|space/i);
  assert.equal(await page.getByTestId('train-epoch-row').count(), 1);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.getByTestId('train-reset').click();
  await waitStatus(page, 'Ready');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a paused run keeps its curve, its network and its settings; a run continued from a file shows the file\'s', async () => {
  const { page, errors } = await trainPage();
  // 8,000 images in batches of 16: the pause lands in the first epoch.
  await setUp(page, { epochs: 2, train: 8000, batch: 16 });
  await page.getByTestId('train-start').click();
  await waitStatus(page, 'Training');
  const lossLabel = () => page.getByTestId('loss-chart').getAttribute('aria-label');
  await page.waitForFunction(
    () => document.querySelector('[data-testid="loss-chart"]')?.getAttribute('aria-label').startsWith('training loss'),
    null,
    { timeout: 60000 },
  );
  await page.getByTestId('train-pause').click();
  await waitStatus(page, 'Paused');
  assert.equal(await page.getByTestId('train-epoch-row').count(), 0, 'paused within the first epoch');
  // The curve so far stays: the view a pause sends carries the epoch's points.
  assert.match(await lossLabel(), /^training loss \d/);
  // Resume goes on with the paused run's network and settings: they are not edited.
  for (const id of ['train-text', 'train-preset', 'train-dataset', 'train-epochs', 'train-load']) {
    assert.ok(await page.getByTestId(id).isDisabled(), `${id} can be edited while paused`);
  }
  assert.ok(await page.getByTestId('train-start').isDisabled(), 'Start would drop the paused run');
  await page.getByTestId('train-reset').click();
  await waitStatus(page, 'Ready');
  assert.ok(await page.getByTestId('train-text').isEnabled());

  // Another network typed, MNIST chosen; then LeNet-5's Fashion-MNIST weights continued.
  await page.getByTestId('train-text').fill('input 28x28x1, conv 2 3x3, flatten, linear 10');
  await setField(page, 'train-subset', 2000);
  const file = new URL('../../www/models/lenet-fashion.safetensors', import.meta.url).pathname;
  await page.getByTestId('train-load').setInputFiles(file);
  // What trains is the file's network on its own dataset, and the page says so.
  await page.waitForFunction(() => document.querySelector('[data-testid="train-dataset"]')?.value === 'fashion', null, { timeout: 30000 });
  assert.match(await page.getByTestId('train-text').inputValue(), /^input 28x28x1, conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5/);
  assert.equal(await page.getByTestId('train-params').textContent(), '61,706');
  await waitStatus(page, 'Training', 60000);
  assert.equal(await page.getByTestId('train-subset').inputValue(), '2000');
  await page.getByTestId('train-stop').click();
  await waitStatus(page, 'Stopped');
  await page.getByTestId('train-reset').click();
  await waitStatus(page, 'Ready');
  assert.deepEqual(errors, []);
  await page.close();
});

test('image counts past the dataset\'s are refused beside the fields, before Start', async () => {
  const { page, errors } = await trainPage();
  await setUp(page, { epochs: 1 });
  for (const [id, value, message] of [
    ['train-subset', 0, /^Training images: MNIST has 8,000; choose between 1 and 8,000$/],
    ['train-subset', 9000, /^Training images: MNIST/],
    ['train-test-images', 0, /^Test images: MNIST has 2,000; choose between 1 and 2,000$/],
  ]) {
    await setField(page, id, value);
    assert.match((await page.getByTestId('train-settings-error').textContent()).trim(), message);
    assert.ok(await page.getByTestId('train-start').isDisabled(), `Start with ${id} = ${value}`);
    await setField(page, id, id === 'train-subset' ? 2000 : 1000);
    assert.equal(await page.getByTestId('train-settings-error').count(), 0);
  }
  // Fashion-MNIST has more: 9,000 is fine there.
  await page.getByTestId('train-dataset').selectOption('fashion');
  await setField(page, 'train-subset', 9000);
  assert.equal(await page.getByTestId('train-settings-error').count(), 0);
  assert.ok(await page.getByTestId('train-start').isEnabled());
  assert.deepEqual(errors, []);
  await page.close();
});

test('a file that is not a weights file gets a message naming what is wrong', async () => {
  const { page, errors } = await trainPage();
  await page.getByTestId('train-load').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
  await waitStatus(page, 'The run failed', 30000);
  assert.match(await status(page), /safetensors/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the Classify page keeps answering while a network trains', async () => {
  const { page, errors } = await trainPage();
  await setUp(page, { epochs: 3, train: 8000, test: 2000 });
  await page.getByTestId('train-start').click();
  await waitStatus(page, 'Training', 60000);
  await page.goto(`${BASE_URL}#/classify`);
  await page.getByTestId('top-class').waitFor({ timeout: 30000 });
  const t0 = Date.now();
  await page.getByTestId('sample-25').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="sample-25"]')?.getAttribute('aria-pressed') === 'true');
  await page.getByTestId('top-class').waitFor();
  assert.ok(Date.now() - t0 < 5000, `classifying took ${Date.now() - t0} ms while training`);
  // The run went on meanwhile.
  await page.goto(`${BASE_URL}#/train`);
  await page.getByTestId('train-status').waitFor();
  await page.waitForFunction(() => /^(Training|Finished)/.test(document.querySelector('[data-testid="train-status"]')?.textContent.trim()));
  await page.getByTestId('train-reset').click();
  await waitStatus(page, 'Ready');
  assert.deepEqual(errors, []);
  await page.close();
});
