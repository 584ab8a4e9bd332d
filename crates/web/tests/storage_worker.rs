//! The browser storage helpers inside a dedicated web worker (where the training runs): no
//! `window`, `indexedDB`, `caches` and `fetch` come from the worker's global scope. Run with
//! wasm-bindgen-test-runner:
//! `cargo test -p convscope-web --target wasm32-unknown-unknown --test storage_worker`.
//! Native builds skip the file (the helpers need a browser).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convscope_web::storage::{StorageError, Store, StoredValue, cached_fetch};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[test]
fn runs_in_a_worker() {
    assert!(web_sys::window().is_none());
    assert!(
        js_sys::global()
            .dyn_into::<web_sys::WorkerGlobalScope>()
            .is_ok()
    );
}

#[test]
async fn round_trips_in_a_worker() {
    let store = Store::open().await.unwrap();
    store
        .put_all(&[
            ("worker/weights", StoredValue::Bytes(&[1, 2, 3])),
            ("worker/meta", StoredValue::Text("{}")),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.get_bytes("worker/weights").await.unwrap(),
        Some(vec![1, 2, 3])
    );
    assert_eq!(
        store.get_text("worker/meta").await.unwrap().as_deref(),
        Some("{}")
    );
    store.delete("worker/meta").await.unwrap();
    assert_eq!(store.get_text("worker/meta").await.unwrap(), None);
}

#[test]
async fn cached_fetch_in_a_worker() {
    let err = cached_fetch("convscope-test-worker-v1", "/no-such-file.bin")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StorageError::Failed(m) if m.contains("404")),
        "{err:?}"
    );

    // The worker's own script, by its absolute URL.
    let location = Reflect::get(&js_sys::global(), &JsValue::from_str("location")).unwrap();
    let url = Reflect::get(&location, &JsValue::from_str("href"))
        .unwrap()
        .as_string()
        .unwrap();
    let first = cached_fetch("convscope-test-worker-v1", &url)
        .await
        .unwrap();
    assert!(first.cache_available, "{first:?}");
    let second = cached_fetch("convscope-test-worker-v1", &url)
        .await
        .unwrap();
    assert!(second.from_cache, "{second:?}");
    assert_eq!(second.bytes, first.bytes);
}
