// Security headers and subresource integrity (SECURITY.md): every page, driven a little
// (the lab's worker, a dataset sample, a gallery sample classified, an upload, a short
// training run with its data download and its weights saved), runs under the
// Content-Security-Policy with no violation — in the page or in its workers — and sends no
// request off the page's origin; the served headers are www/_headers' list (which
// xtask/src/headers.rs writes and the xtask server sends); the policy blocks an injected
// inline script; and a changed byte in the app's JavaScript, its wasm or its loader stops
// the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE_URL, openBrowser, openPage } from './browser.mjs';
import { makeDigitPng } from './make-digit-png.mjs';

const ORIGIN = new URL(BASE_URL).origin;

/** The headers of www/_headers (`/*` block): [name, value] pairs, in order. */
function committedHeaders() {
  const text = readFileSync(new URL('../../www/_headers', import.meta.url), 'utf8');
  const lines = text.split('\n');
  const start = lines.indexOf('/*');
  assert.ok(start >= 0, 'www/_headers has a /* block');
  return lines
    .slice(start + 1)
    .filter((l) => l.startsWith('  '))
    .map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
}

const HEADERS = committedHeaders();
const CSP = Object.fromEntries(HEADERS)['Content-Security-Policy'];

let browser;
before(async () => {
  browser = await openBrowser({ width: 1440, height: 1000 });
});
after(async () => {
  await browser?.close();
});

/**
 * A page that records, besides `openPage`'s errors, every CSP violation (the
 * `securitypolicyviolation` event in the page, and any console message of the page or its
 * workers about the Content Security Policy) and every request that leaves `ORIGIN`.
 */
async function watchedPage() {
  const { page, errors } = await openPage(browser.context);
  const violations = [];
  const offOrigin = [];
  const requests = [];
  await page.exposeFunction('__reportViolation', (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportViolation(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const aboutCsp = (text) => /Content[- ]Security[- ]Policy/i.test(text);
  page.on('console', (msg) => {
    if (aboutCsp(msg.text())) violations.push(`console ${msg.type()}: ${msg.text()}`);
  });
  // A worker's violations fire in the worker (and its console messages about them do not
  // reach Playwright): each worker listens from when it is seen, and is asked at the end.
  const workers = [];
  page.on('worker', (worker) => {
    workers.push(worker);
    worker.on('console', (msg) => {
      if (aboutCsp(msg.text())) violations.push(`worker console ${msg.type()}: ${msg.text()}`);
    });
    worker
      .evaluate(() => {
        self.__cspViolations = [];
        self.addEventListener('securitypolicyviolation', (e) => {
          self.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} in a worker`);
        });
      })
      .catch(() => {});
  });
  /** Adds the violations the page's live workers saw to `violations`. */
  const collectWorkers = async () => {
    for (const worker of workers) {
      const seen = await worker.evaluate(() => self.__cspViolations ?? []).catch(() => []);
      violations.push(...seen);
    }
  };
  page.on('request', (req) => {
    const url = req.url();
    requests.push(url);
    if (url.startsWith('data:')) return;
    // A blob: URL's origin is the origin that made it.
    if (new URL(url).origin !== ORIGIN) offOrigin.push(url);
  });
  return { page, errors, violations, offOrigin, requests, workers, collectWorkers };
}

/**
 * Runs `body` on a watched page, then asserts that nothing went wrong. A step that fails
 * (a wait that times out when the policy blocks a worker) says what was blocked meanwhile.
 */
async function underPolicy(body) {
  const w = await watchedPage();
  try {
    await body(w);
    await w.collectWorkers();
  } catch (error) {
    await w.collectWorkers();
    error.message += `\nCSP violations meanwhile: ${JSON.stringify(w.violations, null, 2)}`;
    error.message += `\nerrors meanwhile: ${JSON.stringify(w.errors, null, 2)}`;
    throw error;
  }
  assert.deepEqual(w.violations, [], 'Content-Security-Policy violations');
  assert.deepEqual(w.offOrigin, [], `requests that left ${ORIGIN}`);
  assert.deepEqual(w.errors, []);
  await w.page.close();
}

test('the served headers are www/_headers: the page, the app and worker scripts, a wasm file, data', async () => {
  assert.ok(CSP.includes("script-src 'self' 'wasm-unsafe-eval'"), CSP);
  assert.ok(!CSP.includes("'unsafe-eval'") && !/script-src[^;]*'unsafe-inline'/.test(CSP), CSP);
  const html = await (await fetch(BASE_URL)).text();
  const app = html.match(/<meta name="convscope-app" data-js="([^"]+)" data-wasm="([^"]+)"/);
  assert.ok(app, 'index.html names the app in <meta name="convscope-app">');
  const boot = html.match(/<script src="([^"]+)"[^>]* integrity="sha384-[^"]+"/);
  assert.ok(boot, 'index.html loads boot.js with an integrity');
  const paths = [
    ['', 'text/html'],
    [app[1], 'text/javascript'],
    [app[2], 'application/wasm'],
    [boot[1], 'text/javascript'],
    ['images.js', 'text/javascript'],
    ['images_bg.wasm', 'application/wasm'],
    ['trainer.js', 'text/javascript'],
    ['models/lenet-mnist.safetensors', 'application/octet-stream'],
    ['data/mnist/manifest.json', 'application/json'],
    ['no-such-file', 'text/plain'],
  ];
  for (const [path, type] of paths) {
    const res = await fetch(new URL(path.replace(/^\//, ''), BASE_URL));
    assert.ok(res.headers.get('content-type').startsWith(type), `${path}: ${res.headers.get('content-type')}`);
    for (const [name, value] of HEADERS) {
      assert.equal(res.headers.get(name), value, `${path || '/'}: ${name}`);
    }
  }
  // The static hosts' file sits in dist/ beside the app, as Trunk copied it.
  const copied = await (await fetch(new URL('_headers', BASE_URL))).text();
  assert.equal(copied, readFileSync(new URL('../../www/_headers', import.meta.url), 'utf8'));
});

test('index.html has no inline script, and an integrity on every script and preload', async () => {
  const html = await (await fetch(BASE_URL)).text();
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1, 'one script: the loader');
  for (const [, attrs, body] of scripts) {
    assert.equal(body.trim(), '', 'no inline script');
    assert.match(attrs, / src="[^"]+"/);
    assert.match(attrs, / integrity="sha384-[A-Za-z0-9+/=]+"/);
  }
  const preloads = [...html.matchAll(/<link rel="(?:module)?preload"[^>]*>/g)].map((m) => m[0]);
  assert.equal(preloads.length, 2, preloads.join('\n'));
  for (const link of preloads) assert.match(link, / integrity="sha384-[A-Za-z0-9+/=]+"/);
});

test('Convolution and Pooling: the lab, its worker and a dataset sample, under the policy', async () => {
  await underPolicy(async (w) => {
    const { page } = w;
    await page.goto(`${BASE_URL}#/convolution`);
    await page.getByTestId('stage').waitFor({ timeout: 30000 });
    for (const [id, v] of [['calc-w', '227'], ['calc-f', '11'], ['calc-s', '4'], ['calc-p', '0']]) {
      await page.getByTestId(id).fill(v);
    }
    await page.getByTestId('worker-result').waitFor({ timeout: 30000 });
    assert.equal((await page.getByTestId('worker-result').textContent()).trim(), '55');
    await page.getByTestId('input-source').selectOption('mnist3');
    await page.waitForFunction(() => document.querySelector('[data-testid="input-canvas"]')?.dataset.rows === '28', null, { timeout: 30000 });
    await page.getByTestId('kernel-preset').selectOption('sobelx');

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Pooling & activations', exact: true }).click();
    await page.getByTestId('pool-stage').waitFor({ timeout: 30000 });
    await page.getByTestId('pool-kind').selectOption('avg');
    await page.getByTestId('pool-window').fill('3');
    // The lab's worker answered (55 above) from the page's own module: one download of wasm.
    const wasms = w.requests.filter((u) => u.endsWith('.wasm'));
    assert.deepEqual(wasms.map((u) => new URL(u).pathname.replace(/-[0-9a-f]+_bg/, '_bg')), ['/app_bg.wasm'], wasms.join('\n'));
    assert.ok(w.requests.some((u) => u.includes('/samples/mnist-test.safetensors')), 'the sample file was fetched');
  });
});

test('Architectures: every network, under the policy', async () => {
  await underPolicy(async (w) => {
    const { page } = w;
    await page.goto(`${BASE_URL}#/architectures`);
    await page.getByTestId('arch-table').waitFor({ timeout: 30000 });
    const nets = await page.getByTestId('arch-net').locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(nets.length > 3, nets.join());
    for (const net of nets) {
      await page.getByTestId('arch-net').selectOption(net);
      await page.getByTestId('arch-table').waitFor();
    }
  });
});

test('Classify: a gallery sample, an upload and an explanation, under the policy', async () => {
  await underPolicy(async (w) => {
    const { page } = w;
    await page.goto(`${BASE_URL}#/classify`);
    await page.getByTestId('top-class').waitFor({ timeout: 30000 });
    const sample = page.getByTestId('sample-25');
    const label = await sample.getAttribute('data-label');
    await sample.click();
    await page.waitForFunction(
      (l) => document.querySelector('[data-testid="top-class"]')?.textContent.includes(`true label ${l}`),
      label,
      { timeout: 15000 },
    );
    assert.equal((await page.getByTestId('top-label').textContent()).trim(), label);
    // An upload is decoded in the image worker: it leaves the browser nowhere. The first
    // fetches that worker's own files (same origin, checked by their digests), no other.
    const upload = async (name) => {
      const before = w.requests.length;
      await page.getByTestId('image-file').setInputFiles({ name, mimeType: 'image/png', buffer: makeDigitPng({ digit: 7 }) });
      await page.waitForFunction((n) => document.querySelector('[data-testid="top-class"]')?.textContent.includes(n), name, { timeout: 15000 });
      return w.requests.slice(before).filter((u) => !u.startsWith('blob:') && !u.startsWith('data:'));
    };
    assert.deepEqual((await upload('seven.png')).sort(), [`${new URL('images.js', BASE_URL)}`, `${new URL('images_bg.wasm', BASE_URL)}`], 'the first upload starts the image worker');
    assert.deepEqual(await upload('again.png'), [], 'an upload makes no request');
    await page.getByTestId('explain-panel').waitFor({ timeout: 15000 });
    await page.getByTestId('explain-result').waitFor({ timeout: 30000 });
  });
});

test('Train: the training worker, its data download and the weights file, under the policy', async () => {
  await underPolicy(async (w) => {
    const { page } = w;
    await page.goto(`${BASE_URL}#/train`);
    await page.locator('[data-testid="train-page"][data-connected="true"]').waitFor({ timeout: 30000 });
    await page.getByTestId('train-preset').selectOption('one-conv');
    await page.getByTestId('train-dataset').selectOption('mnist');
    await page.getByTestId('train-subset').fill('500');
    await page.getByTestId('train-test-images').fill('500');
    await page.getByTestId('train-epochs').fill('1');
    await page.getByTestId('train-start').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="train-status"]')?.textContent.trim().startsWith('Finished'),
      null,
      { timeout: 120000 },
    );
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('train-download').click()]);
    assert.ok((await download.path()) !== null);
    assert.ok(w.requests.some((u) => u.endsWith('/trainer_bg.wasm')), 'the training worker loaded');
    assert.ok(w.requests.some((u) => u.includes('/data/mnist/')), 'the training data came from the same origin');
  });
});

test('the policy is enforced: no inline script, no eval, no off-origin fetch, in the page and its workers', async () => {
  const w = await watchedPage();
  const { page } = w;
  // A same-origin script (allowed by script-src 'self') that tries eval and an off-origin
  // fetch; Playwright's own evaluate() is exempt from the page's policy, so it cannot.
  await page.route('**/csp-probe.js', (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      body: `let evalResult;
try { evalResult = String(new Function('return 1')()); } catch (e) { evalResult = e.name; }
document.documentElement.dataset.evalProbe = evalResult;
fetch('https://example.com/').then(() => 'sent', (e) => e.name).then((r) => { document.documentElement.dataset.fetchProbe = r; });`,
    }),
  );
  await page.goto(`${BASE_URL}#/convolution`);
  await page.getByTestId('stage').waitFor({ timeout: 30000 });
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.src = '/csp-probe.js';
    document.head.append(script);
  });
  await page.waitForFunction(() => document.documentElement.dataset.fetchProbe !== undefined);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.evalProbe), 'EvalError');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.fetchProbe), 'TypeError');
  const ran = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__injected = true;';
    document.head.append(script);
    await new Promise((r) => setTimeout(r, 100));
    return window.__injected === true;
  });
  assert.equal(ran, false, 'an inline script ran');
  const reported = (prefix) => w.violations.some((v) => v.startsWith(prefix));
  const expected = ['script-src blocked eval', 'connect-src blocked https://example.com/', 'script-src-elem blocked inline'];
  for (let i = 0; i < 50 && !expected.every(reported); i++) await new Promise((r) => setTimeout(r, 100));
  for (const prefix of expected) assert.ok(reported(prefix), `${prefix}: ${w.violations.join('\n')}`);
  assert.deepEqual(w.offOrigin, [], 'the blocked fetch never left the browser');

  // The same inside a web worker (the lab's: workers inherit the page's policy).
  const worker = w.workers.find((x) => x.url().startsWith('blob:'));
  assert.ok(worker, 'the lab worker runs');
  const inWorker = await worker.evaluate(async () => {
    await fetch('https://example.com/').catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    return self.__cspViolations;
  });
  assert.deepEqual(inWorker, ['connect-src blocked https://example.com/ in a worker']);
  await page.close();
});

/**
 * Opens `hash` with the response for `pattern` changed by `change` (the body as a Buffer),
 * waits up to `timeout` ms for what `shows(page)` locates, and returns whether it showed,
 * how many responses were changed (`all`, and of them `wasm` and `js`), what was logged,
 * the alerts and the page's text.
 */
async function withChanged(pattern, change, { hash = '#/architectures', act = async () => {}, shows = appHeading, timeout = 5000 } = {}) {
  const { page, errors } = await openPage(browser.context);
  const changed = { all: 0, wasm: 0, js: 0 };
  await page.route(pattern, async (route) => {
    const response = await route.fetch();
    changed.all += 1;
    changed[route.request().url().endsWith('.wasm') ? 'wasm' : 'js'] += 1;
    await route.fulfill({ response, body: change(await response.body()) });
  });
  await page.goto(`${BASE_URL}${hash}`);
  await act(page);
  const started = await shows(page)
    .first()
    .waitFor({ timeout })
    .then(() => true, () => false);
  const alert = await page.getByRole('alert').allTextContents();
  const text = await page.locator('body').innerText();
  await page.close();
  return { started, changed, errors, alert, text };
}

/** The app's heading: the app started. */
const appHeading = (page) => page.getByRole('heading', { level: 1, name: 'convscope' });

/** A valid wasm module with other bytes: a custom section named "x" appended. */
const appendSection = (wasm) => Buffer.concat([wasm, Buffer.from([0x00, 0x02, 0x01, 0x78])]);
const appendComment = (js) => Buffer.concat([js, Buffer.from('\n// changed\n')]);

test('integrity: a changed byte in the app\'s wasm, its JavaScript or its loader stops the app', async () => {
  // The unchanged app starts, with the same interception in place.
  const control = await withChanged(/\/app-[0-9a-f]+_bg\.wasm$/, (b) => b);
  assert.equal(control.started, true, control.errors.join('\n'));
  assert.equal(control.changed.all, 1);

  const wasm = await withChanged(/\/app-[0-9a-f]+_bg\.wasm$/, appendSection);
  assert.equal(wasm.changed.all, 1, 'the wasm is downloaded once (its preload is used)');
  assert.equal(wasm.started, false, 'the app started with a changed wasm');
  assert.ok(wasm.errors.some((e) => /integrity/i.test(e)), wasm.errors.join('\n'));
  assert.match(wasm.alert.join(' '), /convscope could not start/);

  const js = await withChanged(/\/app-[0-9a-f]+\.js$/, appendComment);
  assert.equal(js.started, false, 'the app started with changed JavaScript');
  assert.ok(js.errors.some((e) => /integrity/i.test(e)), js.errors.join('\n'));

  const boot = await withChanged(/\/boot-[0-9a-f]+\.js$/, appendComment);
  assert.equal(boot.started, false, 'the app started with a changed loader');
  assert.ok(boot.errors.some((e) => /integrity/i.test(e)), boot.errors.join('\n'));
});

test('integrity: a changed byte in a worker\'s script or wasm stops that worker, and the page says so', async () => {
  // The core's worker is the app's own files: on the Classify page the page downloads the
  // app's wasm once (the worker starts from the module the page compiled) and checks its
  // JavaScript for the worker, and the first prediction comes.
  const control = await withChanged(/\/app-[0-9a-f]+(_bg\.wasm|\.js)$/, (b) => b, {
    hash: '#/classify',
    shows: (page) => page.getByTestId('top-class'),
    timeout: 15000,
  });
  assert.equal(control.started, true, `${control.errors.join('\n')}\n${control.text.slice(0, 2000)}`);
  assert.equal(control.changed.wasm, 1, 'the app\'s wasm is downloaded once, for the page and its worker');
  assert.ok(control.changed.js >= 2, 'the page checks the app\'s JavaScript before the worker runs it');
  // A changed app on the Classify page stops the app before any worker starts.
  for (const [pattern, change] of [[/\/app-[0-9a-f]+_bg\.wasm$/, appendSection], [/\/app-[0-9a-f]+\.js$/, appendComment]]) {
    const r = await withChanged(pattern, change, { hash: '#/classify' });
    assert.equal(r.started, false, `${pattern}: the app started`);
    assert.ok(r.errors.some((e) => /integrity/i.test(e)), `${pattern}: ${r.errors.join('\n')}`);
  }

  // The image worker starts with the lab's first upload.
  const upload = async (page) => {
    await page.getByTestId('stage').waitFor({ timeout: 15000 });
    await page.getByTestId('upload-file').setInputFiles({ name: 'seven.png', mimeType: 'image/png', buffer: makeDigitPng({ digit: 7 }) });
  };
  const cases = [
    ['#/convolution', /\/images_bg\.wasm$/, appendSection, /web worker could not be started/, upload],
    ['#/train', /\/trainer\.js$/, appendComment, /training worker could not be started/],
  ];
  for (const [hash, pattern, change, says, act] of cases) {
    const r = await withChanged(pattern, change, { hash, act, shows: (page) => page.getByText(says), timeout: 15000 });
    assert.ok(r.changed.all >= 1, `${pattern}: fetched`);
    assert.equal(r.started, true, `${pattern}: the page does not say the worker could not start\n${r.text.slice(0, 2000)}`);
    assert.ok(r.errors.some((e) => /integrity/i.test(e)), `${pattern}: ${r.errors.join('\n')}`);
  }
});
