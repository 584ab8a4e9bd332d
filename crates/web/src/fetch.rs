//! Bytes from the network and from the user's files, for models, samples and uploads.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::worker_script::Early;

/// A JS exception's message, for error text.
pub(crate) fn js_message(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|err| String::from(err.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Fetches `url` (relative to the page) and returns its body.
///
/// Works in the window and in a web worker (there `url` is relative to the worker's script).
/// A file the page's loader fetched while the app loaded is taken from it
/// ([`crate::worker_script::take_early_file`]).
///
/// # Errors
/// A message naming the URL and the HTTP status or network error.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    early_or_fetched(crate::worker_script::take_early_file(url), url).await
}

/// The loader's `early` bytes of `url` (taken already, [`crate::worker_script::take_early_file`])
/// once they are here, else `url` fetched.
///
/// # Errors
/// As [`fetch_bytes`].
pub async fn early_or_fetched(early: Early<Vec<u8>>, url: &str) -> Result<Vec<u8>, String> {
    if let Some(bytes) = early.get().await {
        return Ok(bytes);
    }
    let response = fetch_ok(url).await?;
    response_bytes(url, &response).await
}

/// `url` (relative to the page) made absolute, for a worker to fetch: a worker started
/// from a `blob:` URL has no base to resolve a relative one against.
///
/// # Errors
/// Where there is no window, or `url` is not a URL.
pub fn page_url(url: &str) -> Result<String, String> {
    let base = web_sys::window()
        .ok_or_else(|| format!("cannot resolve {url}: no window"))?
        .location()
        .href()
        .map_err(|e| format!("cannot resolve {url}: {}", js_message(&e)))?;
    web_sys::Url::new_with_base(url, &base)
        .map(|u| u.href())
        .map_err(|e| format!("cannot resolve {url}: {}", js_message(&e)))
}

/// GETs `url` from the window or, in a web worker, from the worker's global scope, and checks
/// that the answer is a success (`ok`).
///
/// # Errors
/// A message naming the URL and the HTTP status or network error.
pub(crate) async fn fetch_ok(url: &str) -> Result<web_sys::Response, String> {
    let global = js_sys::global();
    let promise = if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        window.fetch_with_str(url)
    } else if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        worker.fetch_with_str(url)
    } else {
        return Err(format!("cannot fetch {url}: no window or worker"));
    };
    let response = JsFuture::from(promise)
        .await
        .map_err(|e| format!("cannot fetch {url}: {}", js_message(&e)))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("cannot fetch {url}: not a response"))?;
    if !response.ok() {
        return Err(format!(
            "cannot fetch {url}: HTTP {} {}",
            response.status(),
            response.status_text()
        ));
    }
    Ok(response)
}

/// Reads a response's whole body (`url` names it in errors).
///
/// # Errors
/// A message naming the URL when the body cannot be read.
pub(crate) async fn response_bytes(
    url: &str,
    response: &web_sys::Response,
) -> Result<Vec<u8>, String> {
    let buffer = response
        .array_buffer()
        .map_err(|e| format!("cannot read {url}: {}", js_message(&e)))?;
    let buffer = JsFuture::from(buffer)
        .await
        .map_err(|e| format!("cannot read {url}: {}", js_message(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Largest file read from the user's disk (the core refuses larger images anyway; this
/// keeps a huge file from being copied into memory at all).
pub const MAX_FILE_BYTES: f64 = 32.0 * 1024.0 * 1024.0;

/// The message for a file over [`MAX_FILE_BYTES`].
pub fn too_large(name: &str, bytes: f64) -> String {
    format!(
        "{name} is {:.1} MiB: files over {:.0} MiB are refused",
        bytes / 1024.0 / 1024.0,
        MAX_FILE_BYTES / 1024.0 / 1024.0
    )
}

/// Reads a file (or any blob) the user chose, dropped or pasted.
///
/// # Errors
/// A message naming the file when the browser cannot read it.
pub async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let name = blob
        .dyn_ref::<web_sys::File>()
        .map(|f| f.name())
        .unwrap_or_else(|| "the pasted data".into());
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("cannot read {name}: {}", js_message(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_files_are_named() {
        assert_eq!(
            too_large("big.png", 48.0 * 1024.0 * 1024.0),
            "big.png is 48.0 MiB: files over 32 MiB are refused"
        );
    }
}
