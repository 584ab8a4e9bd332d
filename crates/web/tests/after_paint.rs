//! `convscope_web::hooks::after_paint`, what a first visit defers its non-urgent work to, in
//! a browser: run with wasm-bindgen-test-runner:
//! `cargo test -p convscope-web --target wasm32-unknown-unknown --test after_paint`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::rc::Rc;

use convscope_web::hooks::after_paint;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Counts the animation frames from now on.
fn count_frames() -> Rc<Cell<u32>> {
    fn ask(count: Rc<Cell<u32>>) {
        let next = count.clone();
        let f = Closure::once_into_js(move || {
            next.set(next.get() + 1);
            ask(next);
        });
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(f.unchecked_ref());
        }
    }
    let count = Rc::new(Cell::new(0));
    ask(count.clone());
    count
}

#[test]
async fn resolves_after_a_painted_frame() {
    let frames = count_frames();
    let t0 = web_sys::window().unwrap().performance().unwrap().now();
    after_paint().await;
    let waited = web_sys::window().unwrap().performance().unwrap().now() - t0;
    // The test's page is shown, so frames come: one was painted before the wait ended.
    assert!(
        frames.get() >= 1,
        "no animation frame before after_paint resolved"
    );
    assert!(waited < 1000.0, "after_paint took {waited} ms");
    // Again: each call waits for its own frame.
    let before = frames.get();
    after_paint().await;
    assert!(
        frames.get() > before,
        "the second after_paint resolved without a frame"
    );
}
