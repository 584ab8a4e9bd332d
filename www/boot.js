// convscope's loader, in place of the inline <script type="module"> Trunk writes by default
// (Trunk.toml's `pattern_script` writes a <meta> instead), so that the Content-Security-
// Policy allows no inline script at all: `script-src 'self' 'wasm-unsafe-eval'`.
//
// Subresource integrity: Trunk serves this file under a hashed name with an `integrity`
// attribute (<script data-trunk> in index.html), and writes the SHA-384 of the app's
// JavaScript and wasm on its preload links. The browser checks the JavaScript against its
// <link rel="modulepreload">; Chromium ignores `integrity` on <link rel="preload"
// as="fetch"> (crbug.com/981419), so the wasm is fetched here with that integrity, and a
// changed byte stops the app. SECURITY.md says what is covered and what is not.

const app = document.querySelector('meta[name="convscope-app"]');

/** The app's files, `{ js, wasm }`, from index.html's <meta name="convscope-app">. */
function appFiles() {
  if (!app) throw new Error('index.html has no <meta name="convscope-app">');
  return app.dataset;
}

/** The `integrity` Trunk wrote on the preload link of `href`; none is an error. */
function integrityOf(href) {
  const link = [...document.querySelectorAll('link[rel="modulepreload"], link[rel="preload"]')]
    .find((l) => l.getAttribute('href') === href);
  if (!link?.integrity) throw new Error(`index.html gives no integrity for ${href}`);
  return link.integrity;
}

// Web workers started only from files the page has checked. Trunk names a worker's files
// without a hash and writes no `integrity` for them, and neither `new Worker(url)` nor
// `importScripts` takes one, so `cargo xtask build` writes a `<meta name="convscope-worker"
// data-js="/images.js" data-js-integrity="sha384-…" data-wasm="/images_bg.wasm"
// data-wasm-integrity="sha384-…">` per worker into index.html (xtask/src/headers.rs).
// `checkedWorker` fetches the JavaScript and the wasm with their digests and makes a `blob:`
// URL of a script that is the checked text followed by wasm-bindgen's start. The image
// worker starts from the very bytes of wasm the page checked, sent as the first message when
// it is made (`spawnChecked`): it fetches nothing itself. The training worker, which
// yew-agent makes from the URL, fetches the wasm once more with its digest (from the cache).
// A changed byte in either file fails the check in the page: the worker is not started, and
// the app says why (`worker-src blob:` in the Content-Security-Policy allows exactly these
// workers).
//
// The core's worker (`CORE_WORKER`) is the app itself: the app's wasm holds the core's
// worker (its `main` serves the core's requests where there is no window), so a visit
// downloads and compiles one wasm, not two. The worker is a module worker made from the
// app's JavaScript, checked against the digest Trunk wrote, and its first message is the
// module this page compiled (`appModule`): it neither fetches nor compiles anything.
// This is the one place that makes a worker's URL: the app calls it through
// `window.convscopeWorkers` (crates/web/src/worker_script.rs).

/** The core's worker: the app's own files (crates/web/src/core_worker.rs names it so). */
const CORE_WORKER = 'core';
/** The workers built apart that start from the wasm bytes the page checked (`spawnChecked`). */
const SENT_WASM = new Set(['/images.js']);

// The app's wasm, compiled while it downloads (given the response instead, wasm-bindgen
// would begin compiling only once the import of its JavaScript is done): the one module the
// app and the core's worker start from. A failure is reported where the app starts.
const appModule = (async () => {
  const { wasm } = appFiles();
  return WebAssembly.compileStreaming(fetch(wasm, { integrity: integrityOf(wasm) }));
})();
appModule.catch(() => {});

// The app's JavaScript, fetched with its digest before the app imports it: Chromium does not
// keep a modulepreload that failed its check, and an `import()` after that failure fetched
// the file again without one and ran it (seen in `tests/e2e/security.test.mjs`). Its text
// is also the core's worker's script (`appWorker`). A failure is reported where the app starts.
const appScript = (async () => {
  const { js } = appFiles();
  return (await checkedFetch("the app's script", js, integrityOf(js))).text();
})();
appScript.catch(() => {});

/**
 * Each worker's checked script, made once per page (a failure is retried): a promise of
 * `{ url, wasm, type }`, the `blob:` URL, the wasm `spawnChecked` sends (for the core's
 * worker a promise of the app's `WebAssembly.Module`, for a worker in `SENT_WASM` its checked
 * bytes, an `ArrayBuffer`; `null` for a worker that fetches its own), and the worker's
 * `type` ('module' or 'classic').
 */
const checked = new Map();

// What a worker that starts from the page's wasm says first, as the wasm reaches it: it has
// started and instantiates it. (The page's messages to a worker wait in the page until the
// worker's script has run, and a turn of the page's thread hands them over.)
// `spawnChecked` takes this message out of the worker's stream before anyone else sees it.
const STARTED = 'convscope:worker-started';

function checkedWorker(js) {
  if (!checked.has(js)) {
    const made = makeChecked(js);
    made.catch(() => checked.delete(js));
    checked.set(js, made);
  }
  return checked.get(js);
}

/** `url` fetched with its digest: a failed check or an HTTP error is an error naming `what`. */
async function checkedFetch(what, url, integrity) {
  let response;
  try {
    response = await fetch(url, { integrity });
  } catch (error) {
    throw new Error(`${what} ${url} failed its check: ${error.message ?? error}`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return response;
}

/**
 * A worker's start that calls wasm-bindgen's `init` with the worker's first message (the
 * wasm, which `spawnChecked` sends), saying `STARTED` as it comes. The messages that come
 * after it, while the wasm instantiates, are held and dispatched again once the app's `main`
 * has run (it sets the worker's handler, `agent::protocol::serve`): the page sends its
 * requests as soon as it has the worker, not once the worker said it is ready (on a first
 * visit of the Classify page that answer waited 40–80 ms behind the page's first render and
 * layout before the model's request went out).
 */
const startFromMessage = (init) =>
  `\n;{ const held = []; const hold = (e) => held.push(e); let give;
self.addEventListener('message', (e) => { self.postMessage(${JSON.stringify(STARTED)}); self.addEventListener('message', hold); give(e.data); }, { once: true });
${init}({ module_or_path: new Promise((resolve) => { give = resolve; }) }).then(() => {
  self.removeEventListener('message', hold);
  for (const e of held) self.dispatchEvent(new MessageEvent('message', { data: e.data }));
}); }\n`;

/** A `blob:` URL of a worker's script: its checked text followed by its start. */
const scriptUrl = (text, start) => URL.createObjectURL(new Blob([text, start], { type: 'text/javascript' }));

async function makeChecked(js) {
  if (js === CORE_WORKER) return appWorker();
  const meta = [...document.querySelectorAll('meta[name="convscope-worker"]')].find((m) => m.dataset.js === js);
  if (!meta) throw new Error(`index.html gives no integrity for the worker ${js} (\`cargo xtask build\` writes it)`);
  const { jsIntegrity, wasm, wasmIntegrity } = meta.dataset;
  for (const [name, value] of [['data-js-integrity', jsIntegrity], ['data-wasm', wasm], ['data-wasm-integrity', wasmIntegrity]]) {
    if (!value) throw new Error(`index.html gives no ${name} for the worker ${js}`);
  }
  // Both files at once. The wasm is checked here too, so that a changed file is reported by
  // the page (an error inside a starting worker reaches no one).
  const [script, wasmResponse] = await Promise.all([
    checkedFetch("the worker's script", js, jsIntegrity),
    checkedFetch("the worker's wasm", wasm, wasmIntegrity),
  ]);
  const text = await script.text();
  let start;
  let bytes = null;
  if (SENT_WASM.has(js)) {
    // The worker's own fetch of the wasm, even from the cache, was a request to the server
    // (a 304) and a second check of the digest, 10–80 ms of a first visit.
    bytes = await wasmResponse.arrayBuffer();
    // The shim (wasm-bindgen's `no-modules` output) defines `wasm_bindgen`.
    start = startFromMessage('wasm_bindgen');
  } else {
    // The same start with the wasm fetched by the worker with its digest, as the app's own
    // start below does.
    const wasmUrl = new URL(wasm, location.href).href;
    start = `\n;wasm_bindgen({ module_or_path: fetch(${JSON.stringify(wasmUrl)}, { integrity: ${JSON.stringify(wasmIntegrity)} }) });\n`;
  }
  return { url: scriptUrl(text, start), wasm: bytes, type: 'classic' };
}

/** The core's worker's checked script: the app's JavaScript (an ES module) and its start. */
async function appWorker() {
  const { js } = appFiles();
  const text = await appScript;
  // wasm-bindgen's `web` output (its version pinned in Cargo.lock) names its start
  // `__wbg_init` and exports it as the default; the start calls it in the module's scope.
  if (!/\basync function __wbg_init\b/.test(text)) throw new Error(`${js} has no __wbg_init: is it wasm-bindgen's web output?`);
  return { url: scriptUrl(text, startFromMessage('__wbg_init')), wasm: appModule, type: 'module' };
}

/**
 * A worker started from the checked files of `js` (`CORE_WORKER`, '/images.js'): its wasm is
 * its first message, sent as it is made, or for the core's worker as soon as the page has
 * compiled the app's module (bytes are copied: the next worker gets the same bytes; a module
 * is shared, compiled once).
 */
async function spawnChecked(js) {
  const { url, wasm, type } = await checkedWorker(js);
  const worker = new Worker(url, { type });
  if (wasm) {
    // Registered before any handler the app sets, so that it can stop the message there.
    // A worker that fails first (its script, its wasm) ends the wait too: its error is the
    // app's to report (the error event goes on to the app's handler).
    worker.started = new Promise((resolve) => {
      const take = (e) => {
        if (e.data !== STARTED) return;
        e.stopImmediatePropagation();
        worker.removeEventListener('message', take);
        resolve();
      };
      worker.addEventListener('message', take);
      worker.addEventListener('error', () => resolve(), { once: true });
    });
    // A module that did not compile is the app's to report (it does not start either).
    worker.sent = Promise.resolve(wasm).then((w) => worker.postMessage(w), () => {});
  }
  return worker;
}

/**
 * `promise` (which does not fail) with what it gave kept beside it once it has:
 * `{ promise, settled, value }`. What the loader prepares for the app is taken through
 * `now`, so that what is here already reaches the app in the same turn of the page's thread:
 * the Classify page sends its first requests as its first render begins, and the worker's
 * answer waits for the page when that render ends (a promise, even one already resolved,
 * gave its value only after the render's synchronous work: the requests left once that
 * render had ended, and the answer came during the layout after it, taken only after the
 * render's deferred rest).
 */
function kept(promise) {
  const k = { promise, settled: false, value: undefined };
  promise.then((value) => {
    k.settled = true;
    k.value = value;
  });
  return k;
}

/** What `k` gave if it has, else its promise. */
const now = (k) => (k.settled ? k.value : k.promise);

/**
 * Files fetched while the app's wasm downloads and compiles, each taken once by the app
 * (`convscopeWorkers.takeFile`, which `fetch_bytes` in crates/web/src/fetch.rs asks first) or
 * handed to the core's worker (`handOverModel`): `kept` promises of the bytes, or of `null`
 * when the fetch failed (the app then fetches the file itself and says why it cannot).
 */
const earlyFiles = new Map();

/** The shipped models by their key in the query: file and dataset (`fetchModelAndGallery`). */
const SHIPPED = {
  mnist: ['models/lenet-mnist.safetensors', 'mnist'],
  'mnist-resnet': ['models/digit-resnet.safetensors', 'mnist'],
  fashion: ['models/lenet-fashion.safetensors', 'fashion'],
  'fashion-resnet': ['models/fashion-resnet.safetensors', 'fashion'],
};

// The Classify page needs the core's worker for its first answer: on a visit that opens there,
// the worker is started now, so that its thread is up (40–90 ms here) by the time the app's
// module has compiled; it gets that module then. What it sends before the app takes it over
// is kept and handed over with it. (The Convolution lab draws its first frame without the
// worker: there the page starts it.) The app starts once this worker has its module (below:
// its first message, `STARTED`): starting a worker and handing it a message take turns of
// the page's thread, and the app's start holds that thread in long tasks (its first render).
// Waiting only until the worker was made, its thread started after the app's first render,
// and it was ready 100–150 ms later.
const early = new Map();
if (/^#\/classify(?:[?/]|$)/.test(location.hash)) {
  const model = fetchModelAndGallery();
  const events = [];
  const started = spawnChecked(CORE_WORKER).then((worker) => {
    worker.onmessage = (e) => events.push(e);
    worker.onerror = (e) => {
      e.preventDefault();
      events.push(e);
    };
    if (model) handOverModel(worker, model);
    return { worker, events };
  });
  // Taken by the app once the worker has its wasm (`worker.sent`); `null` when it could not
  // be started (the app's own start then says why).
  early.set(CORE_WORKER, kept(started.then(async (s) => (await s.worker.sent, s)).catch(() => null)));
}

/**
 * The Classify page's model and gallery, fetched while the app's wasm downloads and compiles:
 * the page asks for both during its first render. Fetched by the page's own code, the model
 * waited for the page to get that far and the worker to fetch it (10–50 ms of a first visit),
 * and a <link rel="preload"> answer for the gallery reached the page only after that
 * render's layout and paint (tasks of its busy thread); bytes that are here already reach it
 * at once (`kept`), so the first input goes to the worker as the render begins, and the
 * model is handed to the worker before that (`handOverModel`). On a real network both
 * download beside the wasm. Which files: the model in the query, as `ModelChoice` in
 * `crates/web/src/lab/classify/choice.rs` reads it (its `url` and `dataset`; an unknown key
 * opens the MNIST model); none for the network trained on the Train page (its file and
 * dataset are in the saved run). Returns the model's `href`, if any.
 * `tests/e2e/classify.test.mjs` checks that each file is fetched once and the model handed over.
 */
function fetchModelAndGallery() {
  const key = new URLSearchParams(location.hash.split('?')[1] ?? '').get('model') ?? 'mnist';
  if (key === 'trained') return undefined;
  const [model, dataset] = SHIPPED[key] ?? SHIPPED.mnist;
  for (const href of [model, `samples/${dataset}-test.safetensors`]) {
    const bytes = fetch(href).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null);
    earlyFiles.set(href, kept(bytes));
  }
  return model;
}

/**
 * The model's file (`href`, fetched early) handed to the core's worker started early, as soon
 * as both are there and unless the app took the file first: the worker loads and warms it up
 * while the app starts and renders the page (`agent::model::preload`), and the page's load of
 * the same URL, which comes after this message, finds it loaded. Asked for by the page's
 * first render, a large model's load held up the first prediction (the digit ensemble's by
 * about 35 ms: the figures are in `preload`'s documentation). The
 * message is `{ handover: <absolute URL>, bytes }`
 * (`agent::protocol::Handover`); once it is sent, `takeFile(href)` gives the app nothing, and
 * the page names the file by its URL.
 */
async function handOverModel(worker, href) {
  const bytes = await earlyFiles.get(href)?.promise;
  await worker.sent;
  if (!bytes || !earlyFiles.has(href)) return;
  earlyFiles.delete(href);
  worker.postMessage({ handover: new URL(href, location.href).href, bytes }, [bytes]);
}

window.convscopeWorkers = {
  /**
   * A promise of the checked `blob:` URL a worker for `js` starts from, for a worker that
   * fetches its own wasm (the training worker, '/trainer.js').
   */
  url: (js) => checkedWorker(js).then((c) => {
    if (c.wasm) throw new Error(`the worker ${js} starts from the page's wasm: use convscopeWorkers.spawn`);
    return c.url;
  }),
  /**
   * A promise of a worker started from the checked files of `js` (`spawnChecked`), once its
   * wasm is sent: what the app sends comes after it.
   */
  spawn: async (js) => {
    const worker = await spawnChecked(js);
    await worker.sent;
    return worker;
  },
  /**
   * The bytes of `href` (as the app names it) if they were fetched early (`earlyFiles`), once:
   * an `ArrayBuffer`, `null` when they were not or that fetch failed, or, while it runs, a
   * promise of either (`now`).
   */
  takeFile(href) {
    const file = earlyFiles.get(href);
    earlyFiles.delete(href);
    return file ? now(file) : null;
  },
  /**
   * The worker started early for `js`, once, when its wasm is sent: `{ worker, events }`
   * (the events it sent so far, in order; the caller sets its own handlers, then replays
   * them), `null` when none was started or it could not be, or, until it is sent, a promise
   * of either (`now`).
   */
  take(js) {
    const started = early.get(js);
    early.delete(js);
    return started ? now(started) : null;
  },
};

try {
  const { js } = appFiles();
  // Checked first (`appScript`); the import then takes the module its preload fetched.
  await appScript;
  const bindings = await import(js);
  const earlyWorker = early.get(CORE_WORKER);
  if (earlyWorker) {
    // At most a second: files that do not come are the app's to report, not to wait for.
    const running = earlyWorker.promise.then((s) => s?.worker.started);
    await Promise.race([running.catch(() => null), new Promise((done) => setTimeout(done, 1000))]);
  }
  const exports = await bindings.default({ module_or_path: appModule });
  // What Trunk's own loader does, for anything that listens.
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm: exports } }));
} catch (error) {
  const message = document.createElement('p');
  message.setAttribute('role', 'alert');
  message.textContent = `convscope could not start: ${error.message ?? error}`;
  document.body.append(message);
  throw error;
}
