//! Web workers started only from files the page has checked: subresource integrity for the
//! workers' JavaScript and wasm.
//!
//! Trunk names a worker's files without a hash and writes no `integrity` for them, and
//! neither `new Worker(url)` nor `importScripts` takes one. So `cargo xtask build` writes a
//! `<meta name="convscope-worker" data-js="/worker.js" data-js-integrity="sha384-…"
//! data-wasm="/worker_bg.wasm" data-wasm-integrity="sha384-…">` per worker into
//! `index.html` (`xtask/src/headers.rs`), and [`checked_url`] fetches the JavaScript with
//! its digest, checks the wasm against its digest, and returns a `blob:` URL of a script
//! that is the checked text followed by wasm-bindgen's start with the wasm fetched (again)
//! with its digest. A changed byte in either file fails the check in the page: the worker
//! is not started and the caller says why.
//! (`worker-src blob:` in the Content-Security-Policy allows exactly these workers.)

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::fetch::js_message;

thread_local! {
    /// Checked scripts by the worker's JavaScript path: each file is fetched and checked
    /// once per page, and a replacement worker starts at once.
    static CHECKED: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// The digests `index.html` gives for the worker whose JavaScript is `js`.
struct Digests {
    js: String,
    wasm: String,
    wasm_integrity: String,
}

fn digests(document: &web_sys::Document, js: &str) -> Result<(String, Digests), String> {
    let metas = document
        .query_selector_all("meta[name=\"convscope-worker\"]")
        .map_err(|e| js_message(&e))?;
    for i in 0..metas.length() {
        let Some(meta) = metas
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        if meta.get_attribute("data-js").as_deref() != Some(js) {
            continue;
        }
        let get = |name: &str| {
            meta.get_attribute(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("index.html gives no {name} for the worker {js}"))
        };
        return Ok((
            get("data-js-integrity")?,
            Digests {
                js: js.to_owned(),
                wasm: get("data-wasm")?,
                wasm_integrity: get("data-wasm-integrity")?,
            },
        ));
    }
    Err(format!(
        "index.html gives no integrity for the worker {js} (`cargo xtask build` writes it)"
    ))
}

/// A `blob:` URL from which a worker running the checked `js` (for example `/worker.js`)
/// starts; `new Worker(url)` and gloo's `spawn_with_loader(url)` take it.
///
/// # Errors
/// A message naming the file when `index.html` gives no digest for it, the fetch fails,
/// or the file is not the one the build made (integrity mismatch).
pub async fn checked_url(js: &str) -> Result<String, String> {
    if let Some(url) = CHECKED.with(|c| c.borrow().get(js).cloned()) {
        return Ok(url);
    }
    let window = web_sys::window().ok_or("workers are started from a window")?;
    let document = window.document().ok_or("no document")?;
    let (js_integrity, d) = digests(&document, js)?;
    let base = window.location().href().map_err(|e| js_message(&e))?;
    let absolute = |path: &str| {
        web_sys::Url::new_with_base(path, &base)
            .map(|u| u.href())
            .map_err(|e| js_message(&e))
    };
    // Both files at once. The wasm is checked here too, so that a changed file is reported
    // by the page (an error inside a starting worker reaches no one); the worker's own fetch
    // below checks it again (a 304 from the browser's cache).
    let (response, wasm) = futures::future::join(
        fetch_checked(&window, "script", &d.js, &js_integrity),
        fetch_checked(&window, "wasm", &d.wasm, &d.wasm_integrity),
    )
    .await;
    let response = response?;
    wasm?;
    let text = JsFuture::from(response.text().map_err(|e| js_message(&e))?)
        .await
        .map_err(|e| format!("cannot read {}: {}", d.js, js_message(&e)))?
        .as_string()
        .unwrap_or_default();
    // The shim (wasm-bindgen's `no-modules` output) defines `wasm_bindgen`; its start
    // takes a promise of the response, as the page's own loader (www/boot.js) does.
    let start = format!(
        "\n;wasm_bindgen({{ module_or_path: fetch({}, {{ integrity: {} }}) }});\n",
        js_string(&absolute(&d.wasm)?),
        js_string(&d.wasm_integrity)
    );
    let parts = js_sys::Array::of2(&text.into(), &start.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| js_message(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_message(&e))?;
    CHECKED.with(|c| c.borrow_mut().insert(js.to_owned(), url.clone()));
    Ok(url)
}

/// GETs `url` with `integrity`: the response once the browser has checked the whole body.
async fn fetch_checked(
    window: &web_sys::Window,
    what: &str,
    url: &str,
    integrity: &str,
) -> Result<web_sys::Response, String> {
    let init = web_sys::RequestInit::new();
    init.set_integrity(integrity);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| {
            format!(
                "the worker's {what} {url} failed its check: {}",
                js_message(&e)
            )
        })?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("cannot fetch {url}: not a response"))?;
    if !response.ok() {
        return Err(format!("cannot fetch {url}: HTTP {}", response.status()));
    }
    Ok(response)
}

/// `s` as a JavaScript string literal (JSON's quoting is JavaScript's).
fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}
