//! The messages between the page and a web worker that answers [`CoreRequest`]s (the core's
//! worker, the image worker), and the worker's side of them.
//!
//! The page sends [`ToWorker`] (a request and its number), the worker answers each with
//! [`FromWorker::Reply`] carrying the same number; [`FromWorker::Ready`] says the worker's
//! wasm is up (the page need not wait for it: the worker's start in `www/boot.js` holds the
//! requests that come while the wasm instantiates, and hands them over after). Both travel
//! as bincode bytes in a `Uint8Array`. The page's side — timeouts, a fresh worker when one
//! dies — is [`crate::core_worker`].
//!
//! One message comes from the page's loader instead (`www/boot.js`), before the app has
//! started: a [`Handover`], the file of the shipped model a visit that opens on the Classify
//! page will ask for, so that the core's worker loads it while the page renders.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::{CoreReply, CoreRequest};

/// A request and its number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToWorker {
    /// Its number (answers carry it back).
    pub id: u64,
    /// What to compute.
    pub request: CoreRequest,
}

/// What the worker sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm is running and listening.
    Ready,
    /// The answer to request `id`.
    Reply { id: u64, reply: CoreReply },
    /// A message the worker could not read (no request number to answer).
    Unreadable(String),
}

/// A file the page's loader hands the worker with its start, before the app sends anything:
/// `{ handover: "<absolute URL>", bytes: ArrayBuffer }` (`www/boot.js`, `handOverModel`).
#[derive(Debug, Clone, PartialEq)]
pub struct Handover {
    /// Where the file is served: the URL the page will name it by (`ModelFile::Url`).
    pub url: String,
    /// The file.
    pub bytes: Vec<u8>,
}

impl Handover {
    /// The handover `data` is, if it is one.
    fn from_js(data: &JsValue) -> Option<Self> {
        let url = js_sys::Reflect::get(data, &"handover".into())
            .ok()?
            .as_string()?;
        let bytes = js_sys::Reflect::get(data, &"bytes".into())
            .ok()?
            .dyn_into::<js_sys::ArrayBuffer>()
            .ok()?;
        Some(Self {
            url,
            bytes: js_sys::Uint8Array::new(&bytes).to_vec(),
        })
    }
}

/// `message` as bincode bytes in a `Uint8Array`.
///
/// # Errors
/// When it cannot be serialized (never for these types).
pub fn encode<T: Serialize>(message: &T) -> Result<js_sys::Uint8Array, String> {
    Ok(js_sys::Uint8Array::from(&to_bytes(message)?[..]))
}

/// `message` as the bincode bytes [`encode`] sends.
///
/// # Errors
/// When it cannot be serialized (never for these types).
pub fn to_bytes<T: Serialize>(message: &T) -> Result<Vec<u8>, String> {
    bincode::serialize(message).map_err(|e| e.to_string())
}

/// A message from the bytes [`encode`] made.
///
/// # Errors
/// When `data` is not such bytes.
pub fn decode<T: DeserializeOwned>(data: &JsValue) -> Result<T, String> {
    let bytes = data
        .dyn_ref::<js_sys::Uint8Array>()
        .ok_or("the message is not bytes")?
        .to_vec();
    bincode::deserialize(&bytes).map_err(|e| e.to_string())
}

/// Runs in the worker: answers every [`ToWorker`] with `handle` ([`super::handle`] in the
/// core's worker, [`super::decode::answer`] in the image worker), several at a time (a
/// request waiting for a fetch does not hold up the others), gives each [`Handover`] to
/// `take` as it comes ([`super::model::preload`] in the core's worker; nothing is answered),
/// and says it is ready.
pub fn serve<F, A>(handle: F, take: fn(Handover))
where
    F: Fn(CoreRequest) -> A + Clone + 'static,
    A: Future<Output = CoreReply> + 'static,
{
    let Ok(scope) = js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>() else {
        return;
    };
    let post = {
        let scope = scope.clone();
        move |m: &FromWorker| {
            if let Ok(bytes) = encode(m) {
                // Transferred, not copied: the page's thread takes the buffer as it is (a
                // copy of the lab's maps, about a megabyte, cost it 2 ms).
                let _ =
                    scope.post_message_with_transfer(&bytes, &js_sys::Array::of1(&bytes.buffer()));
            }
        }
    };
    let answer = post.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(handover) = Handover::from_js(&e.data()) {
                take(handover);
                crate::perf::mark_in_worker_once("convscope:worker-handover-end");
                return;
            }
            match decode::<ToWorker>(&e.data()) {
                Ok(ToWorker { id, request }) => {
                    let answer = answer.clone();
                    let handle = handle.clone();
                    let kind = request.kind();
                    crate::perf::mark_in_worker_once(&format!("convscope:worker-{kind}-start"));
                    wasm_bindgen_futures::spawn_local(async move {
                        let reply = handle(request).await;
                        crate::perf::mark_in_worker_once(&format!("convscope:worker-{kind}-end"));
                        answer(&FromWorker::Reply { id, reply });
                    });
                }
                Err(e) => answer(&FromWorker::Unreadable(e)),
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    crate::perf::mark_in_worker_once("convscope:worker-ready");
    post(&FromWorker::Ready);
}
