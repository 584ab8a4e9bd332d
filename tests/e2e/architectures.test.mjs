// The architectures page: the lecture's AlexNet table computed live, a layer's formulas with
// its numbers, an input size that breaks a layer, the choice surviving a reload, residual
// blocks opening, and the ImageNet winners comparison — with no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

const row = (page, name) => page.locator(`[data-testid="layer-row"][data-layer="${name}"]`);

async function openArchitectures(page, query = '') {
  await page.goto(`${BASE_URL}#/architectures${query}`);
  await page.getByRole('heading', { level: 2, name: 'Architectures', exact: true }).waitFor();
  await page.getByTestId('arch-table').waitFor();
}

test('the lecture AlexNet table shows the lecture volumes and lines', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page);
  assert.equal(await page.getByTestId('arch-net').inputValue(), 'alexnet_lecture');
  assert.equal(await page.getByTestId('arch-input').inputValue(), '227x227x3');
  const table = await page.getByTestId('arch-table').innerText();
  for (const volume of ['55x55x96', '27x27x96', '27x27x256', '13x13x256', '13x13x384', '6x6x256']) {
    assert.ok(table.includes(volume), `table lacks ${volume}`);
  }
  for (const line of [
    '[227x227x3] INPUT',
    '[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0',
    '[27x27x96] MAX POOL1: 3x3 filters at stride 2',
    '[27x27x256] CONV2: 256 5x5 filters at stride 1, pad 2',
    '[13x13x384] CONV3: 384 3x3 filters at stride 1, pad 1',
    '[6x6x256] MAX POOL3: 3x3 filters at stride 2',
    '[4096] FC6: 4096 neurons',
    '[1000] FC8: 1000 neurons (class scores)',
  ]) {
    assert.ok(table.includes(line), `table lacks ${line}`);
  }
  // One diagram block per table row (plus the input).
  assert.equal(await page.getByTestId('arch-block').count(), 14);
  assert.equal(await page.getByTestId('arch-total-params').innerText(), '62,378,344');
  assert.deepEqual(errors, []);
  await page.close();
});

test('clicking CONV1 shows its formulas with the numbers substituted', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page);
  await row(page, 'CONV1').click();
  const detail = page.getByTestId('arch-detail');
  await detail.getByTestId('formula-width').waitFor();
  assert.equal(await detail.getByTestId('formula-width').innerText(), 'W2 = (227 − 11 + 2·0)/4 + 1 = 55');
  assert.equal(await detail.getByTestId('formula-params').innerText(), 'params = (11·11·3)·96 + 96 = 34,944');
  const text = await detail.innerText();
  assert.ok(text.includes('34,944'), text);
  assert.ok(text.includes('34,848'), 'weights of CONV1');
  assert.ok(text.includes('0.06 %'), 'CONV1 share of the 62M parameters');
  assert.ok((await detail.getByTestId('arch-rf').innerText()).includes('11×11'), 'receptive field');
  assert.equal(await row(page, 'CONV1').getAttribute('aria-current'), 'true');
  assert.deepEqual(errors, []);
  await page.close();
});

test('rows and blocks are keyboard accessible', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page);
  await row(page, 'FC6').focus();
  await page.keyboard.press('Enter');
  const detail = page.getByTestId('arch-detail');
  await detail.getByText('params = (6·6·256)·4096 + 4096 = 37,752,832').waitFor();
  assert.ok((await detail.getByTestId('arch-param-share').innerText()).startsWith('60.5 %'));
  const block = page.locator('[data-testid="arch-block"][data-layer="CONV2"]');
  await block.focus();
  await page.keyboard.press('Enter');
  await detail.getByText('W2 = (27 − 5 + 2·2)/1 + 1 = 27').waitFor();
  assert.equal(await block.getAttribute('aria-pressed'), 'true');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an input size that breaks a layer shows the core message, a malformed one the parse error', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page);
  const input = page.getByTestId('arch-input');
  // The field being typed in stays the same element, focused, when the alert appears above
  // the table (a panel appearing must not rebuild its neighbours).
  await input.evaluate((el) => { el.dataset.kept = 'yes'; });
  await input.fill('60x60x3');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal(await input.evaluate((el) => el.dataset.kept === 'yes' && document.activeElement === el), true);
  assert.equal(
    await page.getByTestId('arch-error-message').innerText(),
    'MAX POOL3: 3×3 window is larger than its 2×2 input',
  );
  assert.ok((await row(page, 'MAX POOL3').innerText()).includes('breaks here'));
  // The table is still there (the last size that works).
  assert.ok((await page.getByTestId('arch-table').innerText()).includes('[55x55x96] CONV1'));

  await input.fill('227x227');
  await page.getByText('expected HxWxC such as 227x227x3, got "227x227"').waitFor();
  assert.equal(await page.getByRole('alert').count(), 1);

  // A size that works clears the alert and recomputes the table.
  await input.fill('259x259x3');
  await page.getByRole('alert').waitFor({ state: 'detached' });
  assert.ok((await page.getByTestId('arch-table').innerText()).includes('[63x63x96] CONV1'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the network and input size survive a reload', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page);
  await page.getByTestId('arch-net').selectOption('vgg16');
  await page.getByTestId('arch-input').fill('320x320x3');
  await page.waitForFunction(() => location.hash.includes('input=320x320x3'));
  assert.ok(page.url().endsWith('#/architectures?net=vgg16&input=320x320x3'), page.url());
  await page.reload();
  await page.getByTestId('arch-table').waitFor();
  assert.equal(await page.getByTestId('arch-net').inputValue(), 'vgg16');
  assert.equal(await page.getByTestId('arch-input').inputValue(), '320x320x3');
  assert.ok((await page.getByTestId('arch-table').innerText()).includes('[320x320x64] conv1_1'));

  // So does the selected layer.
  await row(page, 'conv5_3').click();
  await page.waitForFunction(() => location.hash.endsWith('&layer=conv5_3'));
  await page.reload();
  await page.getByTestId('arch-detail-name').waitFor();
  assert.equal(await page.getByTestId('arch-detail-name').innerText(), 'conv5_3');
  assert.equal(await page.getByTestId('formula-width').innerText(), 'W2 = (20 − 3 + 2·1)/1 + 1 = 20');

  // A breaking size survives too, with its message.
  await openArchitectures(page, '?net=alexnet-lecture&input=60x60x3');
  await page.getByRole('alert').waitFor();
  assert.ok((await page.getByRole('alert').innerText()).includes('MAX POOL3: 3×3 window is larger than its 2×2 input'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('residual blocks open to their main and shortcut layers; totals match torchvision', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page, '?net=resnet18');
  assert.equal(await row(page, 'layer2.0.downsample.0').count(), 0);
  await row(page, 'layer2.0').getByTestId('arch-toggle').click();
  await row(page, 'layer2.0.downsample.0').waitFor();
  await row(page, 'layer2.0.conv1').click();
  const detail = page.getByTestId('arch-detail');
  await detail.getByText('W2 = ⌊(56 − 3 + 2·1)/2⌋ + 1 = 28').waitFor();
  assert.equal(await page.getByTestId('arch-total-params').innerText(), '11,689,512');
  assert.equal(await page.getByTestId('arch-verdict').innerText().then((t) => t.startsWith('parameters: exact match')), true);
  assert.ok((await page.getByTestId('arch-reference-row').innerText()).includes('11,689,512'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the ImageNet winners comparison goes AlexNet → VGG → ResNet', async () => {
  const { page, errors } = await openPage(browser.context);
  await openArchitectures(page);
  const winners = page.getByTestId('arch-winner');
  assert.equal(await winners.count(), 3);
  const families = await winners.evaluateAll((els) => els.map((e) => e.dataset.family));
  assert.deepEqual(families, ['AlexNet', 'VGG', 'ResNet']);
  const depths = await page.getByTestId('arch-winner-depth').allInnerTexts();
  assert.deepEqual(depths.map((d) => parseInt(d, 10)), [8, 16, 152]);
  const errs = await page.getByTestId('arch-winner-error').allInnerTexts();
  assert.ok(errs[0].startsWith('16.4 %'), errs[0]);
  assert.ok(errs[2].startsWith('3.57 %'), errs[2]);
  assert.equal(await page.getByTestId('arch-compare-row').count(), 11);
  // Opening a network from the comparison shows it above.
  await page.locator('[data-testid="arch-compare-row"][data-net="resnet50"] button').click();
  await page.waitForFunction(() => location.hash.includes('net=resnet50'));
  assert.equal(await page.getByTestId('arch-net').inputValue(), 'resnet50');
  assert.deepEqual(errors, []);
  await page.close();
});
