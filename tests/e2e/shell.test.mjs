// The app shell: the wasm app mounts, navigation works, a link opens a page directly, the
// web worker answers with the core's result, and nothing logs an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';

const PAGES = [
  ['convolution', 'Convolution'],
  ['pooling', 'Pooling & activations'],
  ['architectures', 'Architectures'],
  ['classify', 'Classify'],
  ['train', 'Train'],
];

let browser;
before(async () => {
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
});

test('the wasm app mounts: its heading and navigation are rendered by Rust', async () => {
  const { page, errors } = await openPage(browser.context);
  const response = await page.goto(BASE_URL);
  assert.equal(response.status(), 200);
  // index.html has an empty <body>: a heading can only come from the mounted Yew app.
  const staticHtml = await response.text();
  assert.ok(!staticHtml.includes('<h1'), 'the static HTML must not contain the heading');
  await page.getByRole('heading', { level: 1, name: 'convscope' }).waitFor();
  const links = await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents();
  assert.deepEqual(links, PAGES.map(([, title]) => title));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the navigation opens every page and marks the current one', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(BASE_URL);
  for (const [slug, title] of PAGES) {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: title, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
    assert.ok(page.url().endsWith(`#/${slug}`), `URL ${page.url()} should end with #/${slug}`);
    const current = page.locator('nav a[aria-current="page"]');
    assert.equal(await current.textContent(), title);
    assert.equal(await page.title(), `${title} · convscope`);
  }
  // Back goes to the previous page.
  await page.goBack();
  await page.getByRole('heading', { level: 2, name: 'Classify', exact: true }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a link opens its page directly', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/architectures`);
  await page.getByRole('heading', { level: 2, name: 'Architectures', exact: true }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('the web worker computes AlexNet CONV1 with the core: 55', async () => {
  const { page, errors } = await openPage(browser.context);
  await page.goto(`${BASE_URL}#/convolution`);
  const result = page.getByTestId('worker-result');
  await result.waitFor({ timeout: 15000 });
  assert.equal((await result.textContent()).trim(), '55');
  assert.deepEqual(errors, []);
  await page.close();
});
