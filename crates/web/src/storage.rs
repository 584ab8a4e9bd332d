//! Saving in the browser: a key–value [`Store`] in IndexedDB (checkpoints, settings),
//! [`cached_fetch`], downloads kept in the Cache API (data sets, models), and [`local`], the
//! window's `localStorage` for a page's small state (an upload, a drawing, the editor's text).
//!
//! Both work in the window and in a dedicated web worker: they look up `indexedDB`, `caches`
//! and `fetch` on whichever global scope the code runs in. Every failure is a
//! [`StorageError`] whose message is written for a visitor; nothing here panics.
//!
//! IndexedDB reports through events, not promises: each wait below adds listeners, turns the
//! first event into the answer of a oneshot channel, and removes the listeners (freeing their
//! closures) as soon as the wait ends, whether it finished or was dropped.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use futures::channel::oneshot;
use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Cache, Event, EventTarget, IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest,
    IdbTransaction, IdbTransactionMode, Response, Window, WorkerGlobalScope,
};

use crate::fetch::{fetch_bytes, fetch_ok, js_message, response_bytes};

/// The IndexedDB database.
const DB_NAME: &str = "convscope";
/// Its schema version: version 1 has the one object store [`STORE`].
const DB_VERSION: u32 = 1;
/// The object store: string keys, structured-cloneable values.
const STORE: &str = "kv";

const UNAVAILABLE: &str = "this browser does not allow saving (a private window?); \
                           training continues, but a reload starts over";
const QUOTA: &str =
    "the browser's storage quota is full; training continues, but progress is not saved";

/// The window's `localStorage`, when the browser allows it (not in a worker, and not when
/// storage is blocked).
pub fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Why storage failed; the `Display` messages are written for a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The browser offers no IndexedDB (a private window, blocked storage, not a browser).
    /// The string is the technical detail, for logs.
    Unavailable(String),
    /// The storage quota is full (`QuotaExceededError`). The string is the technical detail.
    Quota(String),
    /// Anything else. The string is the whole message, written for a visitor.
    Failed(String),
}

impl StorageError {
    /// The technical detail (the browser's error name and message), for logs.
    #[must_use]
    pub fn detail(&self) -> &str {
        match self {
            Self::Unavailable(detail) | Self::Quota(detail) | Self::Failed(detail) => detail,
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(_) => f.write_str(UNAVAILABLE),
            Self::Quota(_) => f.write_str(QUOTA),
            Self::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for StorageError {}

/// A value for [`Store::put_all`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredValue<'a> {
    /// Stored as a `Uint8Array`; read back with [`Store::get_bytes`].
    Bytes(&'a [u8]),
    /// Stored as a string; read back with [`Store::get_text`].
    Text(&'a str),
}

impl StoredValue<'_> {
    fn to_js(self) -> JsValue {
        match self {
            Self::Bytes(bytes) => Uint8Array::from(bytes).into(),
            Self::Text(text) => JsValue::from_str(text),
        }
    }
}

/// The global scope the code runs in.
enum Global {
    Window(Window),
    Worker(WorkerGlobalScope),
}

impl Global {
    /// The window or the worker's global scope; `None` outside a browser (native builds).
    fn current() -> Option<Self> {
        if !cfg!(target_arch = "wasm32") {
            return None;
        }
        match js_sys::global().dyn_into::<Window>() {
            Ok(window) => Some(Self::Window(window)),
            Err(global) => global
                .dyn_into::<WorkerGlobalScope>()
                .ok()
                .map(Self::Worker),
        }
    }

    fn indexed_db(&self) -> Result<Option<IdbFactory>, JsValue> {
        match self {
            Self::Window(window) => window.indexed_db(),
            Self::Worker(worker) => worker.indexed_db(),
        }
    }

    /// `caches`, or `None` where the Cache API is missing (a non-secure context).
    fn caches(&self) -> Option<web_sys::CacheStorage> {
        let caches = match self {
            Self::Window(window) => window.caches(),
            Self::Worker(worker) => worker.caches(),
        }
        .ok()?;
        // The getter does not check its result: in a non-secure context it is `undefined`.
        caches.is_object().then_some(caches)
    }
}

/// The `name` of a JS error (`DOMException`s: "QuotaExceededError", …).
fn error_name(e: &JsValue) -> Option<String> {
    if !e.is_object() {
        return None;
    }
    Reflect::get(e, &JsValue::from_str("name"))
        .ok()?
        .as_string()
}

/// "Name: message" of a JS error, for the technical detail.
fn describe(e: &JsValue) -> String {
    let message = if e.is_object() {
        Reflect::get(e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
    } else {
        None
    }
    .unwrap_or_else(|| js_message(e));
    match error_name(e) {
        Some(name) if !message.is_empty() => format!("{name}: {message}"),
        Some(name) => name,
        None => message,
    }
}

fn is_quota(e: &JsValue) -> bool {
    matches!(
        error_name(e).as_deref(),
        Some("QuotaExceededError" | "NS_ERROR_DOM_QUOTA_REACHED")
    )
}

/// An error of a read or write; `doing` says, for a visitor, what could not be done.
fn op_error(doing: &str, e: &JsValue) -> StorageError {
    if is_quota(e) {
        StorageError::Quota(describe(e))
    } else {
        StorageError::Failed(format!("{doing}: {}", describe(e)))
    }
}

/// An error of opening the database.
fn open_error(e: &JsValue) -> StorageError {
    match error_name(e).as_deref() {
        Some("QuotaExceededError" | "NS_ERROR_DOM_QUOTA_REACHED") => {
            StorageError::Quota(describe(e))
        }
        Some("InvalidStateError" | "SecurityError" | "UnknownError") => {
            StorageError::Unavailable(describe(e))
        }
        _ => StorageError::Failed(format!("cannot open the saved progress: {}", describe(e))),
    }
}

/// One event listener; dropping it removes it and frees its closure.
struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    fn new(
        target: &EventTarget,
        kind: &'static str,
        handler: impl FnMut(Event) + 'static,
    ) -> Result<Self, JsValue> {
        let closure = Closure::<dyn FnMut(Event)>::new(handler);
        target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
        Ok(Self {
            target: target.clone(),
            kind,
            closure,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Removed before the closure is freed (fields drop after this), so the browser never
        // calls a freed closure.
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// What an IndexedDB event reported: a request's result, or the error.
type Outcome = Result<JsValue, JsValue>;

/// The sending end of a wait, shared by its listeners: the first event answers, later ones
/// (an `abort` after an `error`) find it empty.
#[derive(Clone)]
struct Reply(Rc<Cell<Option<oneshot::Sender<Outcome>>>>);

impl Reply {
    fn channel() -> (Self, oneshot::Receiver<Outcome>) {
        let (sender, receiver) = oneshot::channel();
        (Self(Rc::new(Cell::new(Some(sender)))), receiver)
    }

    fn send(&self, outcome: Outcome) {
        if let Some(sender) = self.0.take() {
            // The receiver is gone only when the wait was dropped: nobody to tell.
            let _ = sender.send(outcome);
        }
    }
}

async fn receive(receiver: oneshot::Receiver<Outcome>) -> Outcome {
    receiver
        .await
        .unwrap_or_else(|_| Err(JsValue::from_str("the browser dropped the request")))
}

/// A failed request's error (a `DOMException`).
fn request_error(request: &IdbRequest) -> JsValue {
    match request.error() {
        Ok(Some(error)) => error.into(),
        Ok(None) => JsValue::from_str("unknown error"),
        Err(e) => e,
    }
}

/// Waits for a request's `success` (its result) or `error`.
///
/// Must be awaited before control returns to the browser after the request was made (no
/// `.await` in between), or the event may already have fired.
async fn request_done(request: &IdbRequest) -> Outcome {
    let (reply, receiver) = Reply::channel();
    let _success = Listener::new(request, "success", {
        let (reply, request) = (reply.clone(), request.clone());
        move |_| reply.send(request.result())
    })?;
    let _error = Listener::new(request, "error", {
        let (reply, request) = (reply.clone(), request.clone());
        move |_| reply.send(Err(request_error(&request)))
    })?;
    receive(receiver).await
}

/// Waits until a transaction is committed (`complete`), or has failed (`error`, `abort`:
/// then none of its writes is kept).
///
/// Same rule as [`request_done`]: await it right after the transaction's requests are made.
async fn transaction_done(transaction: &IdbTransaction) -> Result<(), JsValue> {
    let (reply, receiver) = Reply::channel();
    let _complete = Listener::new(transaction, "complete", {
        let reply = reply.clone();
        move |_| reply.send(Ok(JsValue::UNDEFINED))
    })?;
    // A failed request's `error` bubbles to its transaction, which then aborts.
    let _error = Listener::new(transaction, "error", {
        let (reply, transaction) = (reply.clone(), transaction.clone());
        move |event: Event| {
            let error = event
                .target()
                .and_then(|target| target.dyn_into::<IdbRequest>().ok())
                .map(|request| request_error(&request))
                .or_else(|| transaction.error().map(JsValue::from))
                .unwrap_or_else(|| JsValue::from_str("unknown error"));
            reply.send(Err(error));
        }
    })?;
    // An abort without a failed request: the quota, a crash of the storage, a closed database.
    let _abort = Listener::new(transaction, "abort", {
        let (reply, transaction) = (reply.clone(), transaction.clone());
        move |_| {
            let error = transaction.error().map_or_else(
                || JsValue::from_str("the browser cancelled it"),
                JsValue::from,
            );
            reply.send(Err(error));
        }
    })?;
    receive(receiver).await.map(drop)
}

/// Creates the object store in `upgradeneeded` (a new database, or an older version).
fn create_store(request: &IdbOpenDbRequest) -> Result<(), JsValue> {
    let db: IdbDatabase = request.result()?.dyn_into()?;
    if !db.object_store_names().contains(STORE) {
        db.create_object_store(STORE)?;
    }
    Ok(())
}

/// An open IndexedDB database "convscope" with its object store "kv": string keys, values
/// that are bytes (`Uint8Array`) or text, or any structured-cloneable value.
///
/// Usable in the window and in a worker (each opens its own connection). Dropping it closes
/// the connection; it also closes itself when another tab upgrades the database.
pub struct Store {
    db: IdbDatabase,
    _on_version_change: Listener,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("database", &DB_NAME)
            .field("store", &STORE)
            .finish_non_exhaustive()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Waits for pending transactions, then closes.
        self.db.close();
    }
}

const SAVE: &str = "cannot save progress";
const READ: &str = "cannot read the saved progress";
const DELETE: &str = "cannot delete the saved progress";

impl Store {
    /// Opens (creating on first use) the database, version 1.
    ///
    /// # Errors
    /// [`StorageError::Unavailable`] without IndexedDB (private windows, blocked storage, not a
    /// browser), [`StorageError::Quota`] when the disk is full, else [`StorageError::Failed`].
    pub async fn open() -> Result<Store, StorageError> {
        let Some(global) = Global::current() else {
            return Err(StorageError::Unavailable("not in a browser".into()));
        };
        let factory = match global.indexed_db() {
            Ok(Some(factory)) => factory,
            Ok(None) => return Err(StorageError::Unavailable("no indexedDB".into())),
            Err(e) => return Err(StorageError::Unavailable(describe(&e))),
        };
        let request = factory
            .open_with_u32(DB_NAME, DB_VERSION)
            .map_err(|e| open_error(&e))?;
        let _upgrade = Listener::new(&request, "upgradeneeded", {
            let request = request.clone();
            move |_| {
                if create_store(&request).is_err() {
                    // The open then fails with the request's `error` (an AbortError).
                    if let Some(transaction) = request.transaction() {
                        let _ = transaction.abort();
                    }
                }
            }
        })
        .map_err(|e| open_error(&e))?;
        let db: IdbDatabase = request_done(&request)
            .await
            .map_err(|e| open_error(&e))?
            .dyn_into()
            .map_err(|_| {
                StorageError::Failed("cannot open the saved progress: not a database".into())
            })?;
        // A newer version of the app in another tab upgrades the database: let it.
        let on_version_change = match Listener::new(&db, "versionchange", |event: Event| {
            if let Some(db) = event
                .target()
                .and_then(|t| t.dyn_into::<IdbDatabase>().ok())
            {
                db.close();
            }
        }) {
            Ok(listener) => listener,
            Err(e) => {
                db.close();
                return Err(open_error(&e));
            }
        };
        Ok(Store {
            db,
            _on_version_change: on_version_change,
        })
    }

    /// Runs `requests` on the object store in one readwrite transaction and resolves when it
    /// is committed. On any failure none of its writes is kept.
    async fn write(
        &self,
        doing: &str,
        requests: impl FnOnce(&web_sys::IdbObjectStore) -> Result<(), JsValue>,
    ) -> Result<(), StorageError> {
        let transaction = self
            .db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
            .map_err(|e| op_error(doing, &e))?;
        let made = transaction
            .object_store(STORE)
            .and_then(|store| requests(&store));
        if let Err(e) = made {
            // Some requests may be made already: all or nothing.
            let _ = transaction.abort();
            return Err(op_error(doing, &e));
        }
        transaction_done(&transaction)
            .await
            .map_err(|e| op_error(doing, &e))
    }

    /// Reads the value under `key`: `undefined` when there is none.
    async fn get(&self, key: &str) -> Result<JsValue, StorageError> {
        let request = self
            .db
            .transaction_with_str(STORE)
            .and_then(|transaction| transaction.object_store(STORE))
            .and_then(|store| store.get(&JsValue::from_str(key)))
            .map_err(|e| op_error(READ, &e))?;
        request_done(&request).await.map_err(|e| op_error(READ, &e))
    }

    /// Stores `value` (any structured-cloneable value: a `Uint8Array`, a string, …) under
    /// `key`, replacing what was there. Resolves once the write is committed.
    ///
    /// # Errors
    /// [`StorageError::Quota`] when the quota is full, else [`StorageError::Failed`] (a value
    /// that cannot be cloned, a closed database).
    pub async fn put(&self, key: &str, value: &JsValue) -> Result<(), StorageError> {
        self.write(SAVE, |store| {
            store.put_with_key(value, &JsValue::from_str(key)).map(drop)
        })
        .await
    }

    /// Stores `bytes` (as a `Uint8Array`) under `key`.
    ///
    /// # Errors
    /// As [`Store::put`].
    pub async fn put_bytes(&self, key: &str, bytes: &[u8]) -> Result<(), StorageError> {
        self.put(key, &StoredValue::Bytes(bytes).to_js()).await
    }

    /// Stores `text` under `key`.
    ///
    /// # Errors
    /// As [`Store::put`].
    pub async fn put_text(&self, key: &str, text: &str) -> Result<(), StorageError> {
        self.put(key, &StoredValue::Text(text).to_js()).await
    }

    /// Several puts in one readwrite transaction: all are written or none (a checkpoint of
    /// several parts is never half written). Resolves once they are committed.
    ///
    /// # Errors
    /// As [`Store::put`]; then none of `entries` was written.
    pub async fn put_all(&self, entries: &[(&str, StoredValue<'_>)]) -> Result<(), StorageError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write(SAVE, |store| {
            for (key, value) in entries {
                store.put_with_key(&value.to_js(), &JsValue::from_str(key))?;
            }
            Ok(())
        })
        .await
    }

    /// The bytes stored under `key`, `None` when there are none.
    ///
    /// # Errors
    /// [`StorageError::Failed`] when reading fails or the value is not bytes (a `Uint8Array`,
    /// another typed array or an `ArrayBuffer`).
    pub async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let value = self.get(key).await?;
        if value.is_undefined() {
            return Ok(None);
        }
        bytes_of(&value).map(Some).ok_or_else(|| {
            StorageError::Failed(format!("{READ}: the saved {key} is not binary data"))
        })
    }

    /// The text stored under `key`, `None` when there is none.
    ///
    /// # Errors
    /// [`StorageError::Failed`] when reading fails or the value is not a string.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, StorageError> {
        let value = self.get(key).await?;
        if value.is_undefined() {
            return Ok(None);
        }
        value
            .as_string()
            .map(Some)
            .ok_or_else(|| StorageError::Failed(format!("{READ}: the saved {key} is not text")))
    }

    /// Deletes the value under `key` (nothing happens when there is none). Resolves once the
    /// deletion is committed.
    ///
    /// # Errors
    /// [`StorageError::Failed`] when the deletion fails.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.write(DELETE, |store| {
            store.delete(&JsValue::from_str(key)).map(drop)
        })
        .await
    }
}

/// The bytes of a stored `Uint8Array`, `ArrayBuffer` or other `ArrayBuffer` view.
fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Some(array.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Some(Uint8Array::new(buffer).to_vec());
    }
    if ArrayBuffer::is_view(value) {
        let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok();
        let buffer = field("buffer")?.dyn_into::<ArrayBuffer>().ok()?;
        let offset = field("byteOffset")?.as_f64()?;
        let length = field("byteLength")?.as_f64()?;
        // Offsets and lengths of views are integers below 2^53 (in practice below 2^32).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (offset, length) = (offset as u32, length as u32);
        return Some(Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec());
    }
    None
}

/// What [`cached_fetch`] got.
#[derive(Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The response body.
    pub bytes: Vec<u8>,
    /// Served from the cache, without a download.
    pub from_cache: bool,
    /// The Cache API worked: the body was served from the cache or is now kept there. `false`
    /// when the browser has no Cache API (a non-secure context), refuses it (`caches.open`
    /// rejects: private windows), or could not store the download (a full quota): then the
    /// next call downloads again.
    pub cache_available: bool,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("from_cache", &self.from_cache)
            .field("cache_available", &self.cache_available)
            .finish()
    }
}

/// GETs `url` through the Cache API's cache `cache` (e.g. "convscope-data-v1"): from the cache
/// when it is there, otherwise downloaded, checked (a success status) and stored in the cache
/// before returning. Without the Cache API it falls back to a plain download and says so in
/// [`Fetched::cache_available`].
///
/// Works in the window and in a web worker (there a relative `url` is relative to the
/// worker's script).
///
/// # Errors
/// [`StorageError::Failed`] naming the URL and the HTTP status or network error.
pub async fn cached_fetch(cache: &str, url: &str) -> Result<Fetched, StorageError> {
    let Some(global) = Global::current() else {
        return Err(StorageError::Failed(format!(
            "cannot fetch {url}: not in a browser"
        )));
    };
    let Some(cache) = open_cache(&global, cache).await else {
        let bytes = fetch_bytes(url).await.map_err(StorageError::Failed)?;
        return Ok(Fetched {
            bytes,
            from_cache: false,
            cache_available: false,
        });
    };
    if let Some(bytes) = cached_bytes(&cache, url).await {
        return Ok(Fetched {
            bytes,
            from_cache: true,
            cache_available: true,
        });
    }
    let response = fetch_ok(url).await.map_err(StorageError::Failed)?;
    // The body is read once: the cache gets a copy (both read the same download).
    let stored = response
        .clone()
        .ok()
        .map(|copy| JsFuture::from(cache.put_with_str(url, &copy)));
    let bytes = response_bytes(url, &response).await;
    let stored = match stored {
        Some(stored) => stored.await.is_ok(),
        None => false,
    };
    Ok(Fetched {
        bytes: bytes.map_err(StorageError::Failed)?,
        from_cache: false,
        cache_available: stored,
    })
}

/// The cache `name`, or `None` when the Cache API is missing or refused.
async fn open_cache(global: &Global, name: &str) -> Option<Cache> {
    let caches = global.caches()?;
    JsFuture::from(caches.open(name))
        .await
        .ok()?
        .dyn_into::<Cache>()
        .ok()
}

/// The body of the cached successful response for `url`, if any.
async fn cached_bytes(cache: &Cache, url: &str) -> Option<Vec<u8>> {
    let response = JsFuture::from(cache.match_with_str(url))
        .await
        .ok()?
        .dyn_into::<Response>()
        .ok()?;
    if !response.ok() {
        return None;
    }
    response_bytes(url, &response).await.ok()
}
