//! The core worker's model loads from a URL (`CoreRequest::LoadModel` with
//! `ModelFile::Url`), in a browser: the worker answers several requests at a time, and a
//! request for a model asked after its load waits for that load's fetch. Run with
//! wasm-bindgen-test-runner:
//! `cargo test -p convscope-web --target wasm32-unknown-unknown --test model_loads`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::rc::Rc;

use convscope_web::agent::{ClassifyInput, CoreReply, CoreRequest, ModelFile, handle};
use futures::channel::oneshot;
use wasm_bindgen_futures::spawn_local;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const MNIST: &[u8] = include_bytes!("../../../www/models/lenet-mnist.safetensors");

/// A `blob:` URL of `bytes` (fetched like any other URL, from this page's origin).
fn blob_url(bytes: &[u8]) -> String {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).unwrap();
    web_sys::Url::create_object_url_with_blob(&blob).unwrap()
}

/// Starts `requests` as the worker does (in order, each in its own task) and returns their
/// replies in the order they finished, with each request's index.
async fn run_as_the_worker(requests: Vec<CoreRequest>) -> Vec<(usize, CoreReply)> {
    let finished = Rc::new(RefCell::new(Vec::new()));
    let mut ends = Vec::new();
    for (i, request) in requests.into_iter().enumerate() {
        let (tx, rx) = oneshot::channel();
        let finished = finished.clone();
        spawn_local(async move {
            let reply = handle(request).await;
            finished.borrow_mut().push((i, reply));
            let _ = tx.send(());
        });
        ends.push(rx);
    }
    for end in ends {
        end.await.unwrap();
    }
    Rc::try_unwrap(finished).unwrap().into_inner()
}

fn classify(model: &str) -> CoreRequest {
    CoreRequest::Classify {
        model: model.into(),
        input: ClassifyInput::Ready(vec![0.0; 784]),
    }
}

#[test]
async fn a_classification_asked_after_a_load_from_a_url_waits_for_it() {
    let url = blob_url(MNIST);
    let load = CoreRequest::LoadModel {
        name: "from-url".into(),
        file: ModelFile::Url(url),
    };
    let replies = run_as_the_worker(vec![load, classify("from-url")]).await;
    let order: Vec<usize> = replies.iter().map(|(i, _)| *i).collect();
    assert_eq!(order, [0, 1], "the classification ended before the load");
    match &replies[0].1 {
        CoreReply::ModelLoaded(Ok(s)) => assert_eq!(s.parameters, 61_706),
        other => panic!("load: {other:?}"),
    }
    match &replies[1].1 {
        CoreReply::Classified(Ok(c)) => assert_eq!(c.probabilities.len(), 10),
        other => panic!("classify: {other:?}"),
    }
}

#[test]
async fn a_missing_file_is_named_and_what_waited_for_it_is_answered() {
    let url = web_sys::Url::new_with_base(
        "no-such-model.safetensors",
        &web_sys::window().unwrap().location().href().unwrap(),
    )
    .unwrap()
    .href();
    let load = CoreRequest::LoadModel {
        name: "missing".into(),
        file: ModelFile::Url(url.clone()),
    };
    let replies = run_as_the_worker(vec![load, classify("missing")]).await;
    match &replies[0] {
        (0, CoreReply::ModelLoaded(Err(e))) => {
            assert!(e.contains(&url) && e.contains("HTTP 404"), "{e}");
        }
        other => panic!("load: {other:?}"),
    }
    match &replies[1] {
        (1, CoreReply::Classified(Err(e))) => assert!(e.contains("no model named"), "{e}"),
        other => panic!("classify: {other:?}"),
    }
}
