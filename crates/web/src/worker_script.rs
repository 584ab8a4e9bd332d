//! Web workers started only from files the page has checked: subresource integrity for the
//! workers' JavaScript and wasm.
//!
//! The loader (`www/boot.js`) is the one place that makes a worker's URL: it fetches the
//! worker's JavaScript and wasm with the digests `cargo xtask build` wrote into `index.html`
//! and returns a `blob:` URL of the checked script (see its comments), and on a visit that
//! opens on the Classify page it starts the core's worker (and fetches the page's model and gallery)
//! before the app's wasm has loaded. This module is the app's side: [`checked_url`],
//! [`spawn`], [`take_early`] and [`take_early_file`] call the loader's
//! `window.convscopeWorkers`.

use futures::future::LocalBoxFuture;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::fetch::js_message;

/// `window.convscopeWorkers[name]` called with `arg`: what it gave, a value or a promise.
fn call_now(name: &str, arg: &str) -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("workers are started from a window")?;
    let workers = js_sys::Reflect::get(&window, &"convscopeWorkers".into())
        .ok()
        .filter(|w| w.is_object())
        .ok_or("the page's loader (boot.js) did not run: it checks the workers' files")?;
    let f = js_sys::Reflect::get(&workers, &name.into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| format!("the page's loader has no convscopeWorkers.{name}"))?;
    f.call1(&workers, &arg.into()).map_err(|e| js_message(&e))
}

/// `window.convscopeWorkers[name]` called with `js`, its promise awaited.
async fn call(name: &str, js: &str) -> Result<JsValue, String> {
    let promise = call_now(name, js)?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| format!("convscopeWorkers.{name} did not return a promise"))?;
    JsFuture::from(promise).await.map_err(|e| js_message(&e))
}

/// What the loader prepared for the app: here now, or still coming.
pub enum Early<T> {
    /// Here now; `None` when the loader has none (another page, taken already, no loader)
    /// or could not get it.
    Now(Option<T>),
    /// Still coming (a fetch, a worker's start).
    Later(LocalBoxFuture<'static, Option<T>>),
}

impl<T: std::fmt::Debug> std::fmt::Debug for Early<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Now(v) => f.debug_tuple("Now").field(v).finish(),
            Self::Later(_) => f.write_str("Later(..)"),
        }
    }
}

impl<T: 'static> Early<T> {
    /// What the loader's `name` gives for `arg`, read by `read` (`None` for anything else).
    fn of(name: &str, arg: &str, read: fn(JsValue) -> Option<T>) -> Self {
        match call_now(name, arg).map(JsCast::dyn_into::<js_sys::Promise>) {
            Ok(Ok(promise)) => Self::Later(Box::pin(async move {
                JsFuture::from(promise).await.ok().and_then(read)
            })),
            Ok(Err(value)) => Self::Now(read(value)),
            Err(_) => Self::Now(None),
        }
    }

    /// What it is, once it is here.
    pub async fn get(self) -> Option<T> {
        match self {
            Self::Now(v) => v,
            Self::Later(f) => f.await,
        }
    }
}

/// A `blob:` URL from which a worker running the checked `js` (the training worker,
/// `/trainer.js`) starts, fetching its wasm with its digest; `new Worker(url)` takes it.
/// Each file is fetched and checked once per page, so a replacement worker starts at once.
///
/// # Errors
/// A message naming the file when `index.html` gives no digest for it, the fetch fails,
/// or the file is not the one the build made (integrity mismatch); for the workers that
/// start from the page's wasm ([`spawn`]).
pub async fn checked_url(js: &str) -> Result<String, String> {
    call("url", js)
        .await?
        .as_string()
        .ok_or_else(|| format!("no URL for the worker {js}"))
}

/// A worker running the checked `js` (the core's worker, [`crate::core_worker::CORE_WORKER`]:
/// the app's own files; the image worker, `/images.js`), started from the wasm the page
/// checked (the loader sends the app's compiled module, or the image worker's bytes, as the
/// worker's first message): a worker, first or replacement, fetches nothing itself.
///
/// # Errors
/// As [`checked_url`], and when the worker cannot be made.
pub async fn spawn(js: &str) -> Result<web_sys::Worker, String> {
    call("spawn", js)
        .await?
        .dyn_into::<web_sys::Worker>()
        .map_err(|_| format!("convscopeWorkers.spawn did not give a worker for {js}"))
}

/// The worker the loader started early for `js`, with the events it sent meanwhile (its
/// `message` and `error` events, in order), once; none when none was started (another
/// page, or it was taken already) or it could not be (its files failed their check: the
/// caller's own start then says why). Here at once when the worker has its wasm: on a visit
/// that opens on the Classify page, as the app starts.
pub fn take_early(js: &str) -> Early<(web_sys::Worker, Vec<web_sys::Event>)> {
    Early::of("take", js, |taken| {
        let worker = js_sys::Reflect::get(&taken, &"worker".into())
            .ok()?
            .dyn_into::<web_sys::Worker>()
            .ok()?;
        let events = js_sys::Reflect::get(&taken, &"events".into())
            .ok()?
            .dyn_into::<js_sys::Array>()
            .ok()?;
        Some((
            worker,
            events
                .iter()
                .filter_map(|e| e.dyn_into::<web_sys::Event>().ok())
                .collect(),
        ))
    })
}

/// The bytes of `href` (relative, as the page names it) if the loader fetched them while the
/// app's wasm loaded (the Classify page's model and gallery, on a visit that opens there),
/// once; none when it did not (another file or page, taken already, no loader, in a worker)
/// or that fetch failed (the caller's own fetch then says why). Here at once when the fetch
/// has ended.
pub fn take_early_file(href: &str) -> Early<Vec<u8>> {
    Early::of("takeFile", href, |bytes| {
        let bytes = bytes.dyn_into::<js_sys::ArrayBuffer>().ok()?;
        Some(js_sys::Uint8Array::new(&bytes).to_vec())
    })
}
