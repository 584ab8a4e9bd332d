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

/** The `integrity` Trunk wrote on the preload link of `href`; none is an error. */
function integrityOf(href) {
  const link = [...document.querySelectorAll('link[rel="modulepreload"], link[rel="preload"]')]
    .find((l) => l.getAttribute('href') === href);
  if (!link?.integrity) throw new Error(`index.html gives no integrity for ${href}`);
  return link.integrity;
}

// A first visit to the Classify page needs the core's worker at once: its files are fetched
// now, with the digests `cargo xtask build` wrote, so they download while the app's wasm
// compiles, and the page's own checked fetch of them (crates/web/src/worker_script.rs) finds
// them in the browser's cache. Nothing is run from these fetches; a file that fails its
// check here fails it there too, and the page says so.
if (location.hash.startsWith('#/classify')) {
  const worker = document.querySelector('meta[name="convscope-worker"][data-js="/worker.js"]');
  if (worker) {
    const { js, jsIntegrity, wasm, wasmIntegrity } = worker.dataset;
    fetch(js, { integrity: jsIntegrity }).catch(() => {});
    fetch(wasm, { integrity: wasmIntegrity }).catch(() => {});
  }
}

try {
  if (!app) throw new Error('index.html has no <meta name="convscope-app">');
  const { js, wasm } = app.dataset;
  integrityOf(js);
  const module = fetch(wasm, { integrity: integrityOf(wasm) });
  const bindings = await import(js);
  const exports = await bindings.default({ module_or_path: module });
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
