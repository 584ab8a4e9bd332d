// Every page audited by axe-core (from npm, run inside the page): no serious or critical
// violation, on the page as it opens and after the interactions that open more of it
// (the Classify page's explanations and receptive field, the Architectures page's
// comparison, the lab's upload and transposed mode).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

const AXE = readFileSync(fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');

let browser;
before(async () => {
  browser = await openBrowser({ width: 1280, height: 900 });
});
after(async () => {
  await browser?.close();
});

/** The serious and critical violations on the page now, one line each. */
async function audit(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
  return violations;
}

const PAGES = [
  ['#/convolution', '[data-testid="stage"][data-maps="fresh"]', async (page) => {
    await page.goto(`${BASE_URL}#/convolution?mode=transposed`);
    await page.getByTestId('transposed-stage').waitFor({ timeout: 20000 });
  }],
  ['#/pooling', '[data-testid="pool-value"]'],
  ['#/architectures', '[data-testid="arch-table"]', async (page) => {
    await page.goto(`${BASE_URL}#/architectures?net=resnet18`);
    // The table is there already (AlexNet's): wait for a row that only ResNet-18 has.
    await page.locator('[data-testid="layer-row"][data-layer="layer2.0"]').waitFor({ timeout: 20000 });
  }],
  ['#/classify', '[data-testid="explain-result"]', async (page) => {
    const map = page.getByTestId('map-conv1-2');
    const box = await map.boundingBox();
    await map.click({ position: { x: box.width / 2, y: box.height / 2 } });
    await page.getByTestId('field-result').waitFor({ timeout: 20000 });
    await page.getByTestId('looks-result').waitFor({ timeout: 60000 });
    await page.getByTestId('explain-method').selectOption('occlusion');
    await page.getByTestId('occlusion-player').waitFor({ timeout: 20000 });
  }],
  ['#/train', '[data-testid="train-page"][data-connected="true"]'],
];

for (const [hash, ready, more] of PAGES) {
  test(`axe finds nothing serious on ${hash}`, async () => {
    const { page, errors } = await openPage(browser.context);
    await page.goto(`${BASE_URL}${hash}`);
    await page.locator(ready).first().waitFor({ timeout: 30000 });
    assert.deepEqual(await audit(page), [], `${hash} as it opens`);
    if (more) {
      await more(page);
      assert.deepEqual(await audit(page), [], `${hash} opened further`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
}
