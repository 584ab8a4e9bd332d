//! The browser storage helpers (`convscope_web::storage`) in headless Chromium: IndexedDB
//! round trips and the Cache API. Run with wasm-bindgen-test-runner:
//! `cargo test -p convscope-web --target wasm32-unknown-unknown --test storage`.
//! Native builds skip the file (the helpers need a browser).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use convscope_web::storage::{StorageError, Store, StoredValue, cached_fetch};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Keys unique to one test, so tests sharing the database do not see each other's values.
fn key(test: &str, name: &str) -> String {
    format!("test/{test}/{name}")
}

#[test]
async fn bytes_round_trip() {
    let store = Store::open().await.unwrap();
    let small = key("bytes", "small");
    store.put_bytes(&small, &[1, 2, 3, 255]).await.unwrap();
    assert_eq!(
        store.get_bytes(&small).await.unwrap(),
        Some(vec![1, 2, 3, 255])
    );

    let empty = key("bytes", "empty");
    store.put_bytes(&empty, &[]).await.unwrap();
    assert_eq!(store.get_bytes(&empty).await.unwrap(), Some(Vec::new()));

    // A checkpoint-sized value: 4 MB.
    let big: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    let large = key("bytes", "large");
    store.put_bytes(&large, &big).await.unwrap();
    assert_eq!(store.get_bytes(&large).await.unwrap(), Some(big));

    // A put replaces.
    store.put_bytes(&small, &[9]).await.unwrap();
    assert_eq!(store.get_bytes(&small).await.unwrap(), Some(vec![9]));
}

#[test]
async fn text_round_trip() {
    let store = Store::open().await.unwrap();
    let k = key("text", "a");
    let text = "LeNet-5 · 3×3 conv → ReLU 🧠";
    store.put_text(&k, text).await.unwrap();
    assert_eq!(store.get_text(&k).await.unwrap().as_deref(), Some(text));
    store.put_text(&k, "").await.unwrap();
    assert_eq!(store.get_text(&k).await.unwrap().as_deref(), Some(""));
}

#[test]
async fn missing_key_is_none() {
    let store = Store::open().await.unwrap();
    let k = key("missing", "never-written");
    assert_eq!(store.get_bytes(&k).await.unwrap(), None);
    assert_eq!(store.get_text(&k).await.unwrap(), None);
}

#[test]
async fn put_all_writes_every_entry() {
    let store = Store::open().await.unwrap();
    let (weights, meta, opt) = (key("all", "weights"), key("all", "meta"), key("all", "opt"));
    store
        .put_all(&[
            (&weights, StoredValue::Bytes(&[1, 2, 3])),
            (&meta, StoredValue::Text("{\"epoch\":3}")),
            (&opt, StoredValue::Bytes(&[4; 1000])),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.get_bytes(&weights).await.unwrap(),
        Some(vec![1, 2, 3])
    );
    assert_eq!(
        store.get_text(&meta).await.unwrap().as_deref(),
        Some("{\"epoch\":3}")
    );
    assert_eq!(store.get_bytes(&opt).await.unwrap(), Some(vec![4; 1000]));
    store.put_all(&[]).await.unwrap();
}

#[test]
async fn delete_removes() {
    let store = Store::open().await.unwrap();
    let k = key("delete", "a");
    store.put_text(&k, "x").await.unwrap();
    store.delete(&k).await.unwrap();
    assert_eq!(store.get_text(&k).await.unwrap(), None);
    // Deleting what is not there is fine.
    store.delete(&k).await.unwrap();
}

#[test]
async fn any_cloneable_value_and_typed_errors() {
    let store = Store::open().await.unwrap();
    let k = key("values", "buffer");
    // An ArrayBuffer and another typed array read back as bytes.
    let buffer = js_sys::Uint8Array::from(&[5u8, 6, 7][..]).buffer();
    store.put(&k, &buffer.into()).await.unwrap();
    assert_eq!(store.get_bytes(&k).await.unwrap(), Some(vec![5, 6, 7]));
    let words = js_sys::Uint16Array::from(&[0x0102u16][..]);
    store.put(&k, &words.into()).await.unwrap();
    assert_eq!(store.get_bytes(&k).await.unwrap(), Some(vec![2, 1]));

    // Wrong kinds are errors, not panics.
    store.put_text(&k, "text").await.unwrap();
    assert!(matches!(
        store.get_bytes(&k).await,
        Err(StorageError::Failed(m)) if m.contains("not binary data")
    ));
    store.put_bytes(&k, &[1]).await.unwrap();
    assert!(matches!(
        store.get_text(&k).await,
        Err(StorageError::Failed(m)) if m.contains("not text")
    ));

    // A function cannot be stored (DataCloneError): a typed error, and nothing is written.
    let function: JsValue = js_sys::Function::new_no_args("return 1").into();
    let err = store.put(&k, &function).await.unwrap_err();
    assert!(
        matches!(&err, StorageError::Failed(m) if m.contains("DataCloneError")),
        "{err:?}"
    );
    assert_eq!(store.get_bytes(&k).await.unwrap(), Some(vec![1]));
}

#[test]
async fn two_connections_and_reopen() {
    let first = Store::open().await.unwrap();
    let second = Store::open().await.unwrap();
    let k = key("connections", "a");
    first.put_text(&k, "from the first").await.unwrap();
    assert_eq!(
        second.get_text(&k).await.unwrap().as_deref(),
        Some("from the first")
    );
    drop(first);
    drop(second);
    let third = Store::open().await.unwrap();
    assert_eq!(
        third.get_text(&k).await.unwrap().as_deref(),
        Some("from the first")
    );
}

#[test]
fn error_messages_are_for_visitors() {
    let quota = StorageError::Quota("QuotaExceededError: ...".into());
    assert_eq!(
        quota.to_string(),
        "the browser's storage quota is full; training continues, but progress is not saved"
    );
    assert_eq!(quota.detail(), "QuotaExceededError: ...");
    assert!(
        StorageError::Unavailable("SecurityError".into())
            .to_string()
            .contains("private window")
    );
    assert_eq!(StorageError::Failed("oops".into()).to_string(), "oops");
}

#[test]
async fn cached_fetch_of_a_missing_url_names_status_and_url() {
    let err = cached_fetch("convscope-test-v1", "/no-such-file.bin")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StorageError::Failed(_)), "{err:?}");
    assert!(message.contains("404"), "{message}");
    assert!(message.contains("/no-such-file.bin"), "{message}");
}

#[test]
async fn cached_fetch_downloads_then_serves_from_the_cache() {
    let window = web_sys::window().unwrap();
    let url = window.location().href().unwrap();
    let name = "convscope-test-page-v1";
    JsFuture::from(window.caches().unwrap().delete(name))
        .await
        .unwrap();

    let first = cached_fetch(name, &url).await.unwrap();
    assert!(!first.from_cache, "{first:?}");
    assert!(first.cache_available, "{first:?}");
    assert!(!first.bytes.is_empty());

    let second = cached_fetch(name, &url).await.unwrap();
    assert!(second.from_cache, "{second:?}");
    assert!(second.cache_available, "{second:?}");
    assert_eq!(second.bytes, first.bytes);
}
