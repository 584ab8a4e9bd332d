//! `convscope_web::hooks::use_committed`, how canvases are drawn, in a browser: run with
//! wasm-bindgen-test-runner:
//! `cargo test -p convscope-web --target wasm32-unknown-unknown --test committed`.
//!
//! What it promises: the callback sees its render's element in the document, runs before
//! the browser gets a turn (so before the page is laid out and painted) even when the render
//! took longer than yew's 16 ms budget — where yew's own effects wait behind a `setTimeout`
//! — and runs once per new `deps`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use convscope_web::hooks::{after_paint, use_committed};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    /// What the probe saw, in order.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Sets the probe's counter from the test.
    static SET: RefCell<Option<UseStateSetter<u32>>> = const { RefCell::new(None) };
}

fn log(line: String) {
    LOG.with(|l| l.borrow_mut().push(line));
}

fn taken() -> Vec<String> {
    LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

fn now() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// A component whose render takes 30 ms (past yew's budget), with a `setTimeout(0)` queued
/// by the render: a callback that comes after the browser's turn sees it fired.
#[component]
fn Probe() -> Html {
    let counter = use_state(|| 0_u32);
    SET.with(|s| *s.borrow_mut() = Some(counter.setter()));
    let node = use_node_ref();
    let timer_fired = Rc::new(Cell::new(false));
    {
        let fired = timer_fired.clone();
        let f = Closure::once_into_js(move || fired.set(true));
        let window = web_sys::window().unwrap();
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 0)
            .unwrap();
    }
    let start = now();
    while now() - start < 30.0 {}
    // Counters 0 and 1 draw the same; 2 draws anew.
    let deps = *counter / 2;
    {
        let node = node.clone();
        let fired = timer_fired.clone();
        use_committed(deps, move |d| {
            let connected = node
                .cast::<web_sys::Element>()
                .is_some_and(|e| e.is_connected());
            log(format!(
                "committed {d} connected={connected} after-timer={}",
                fired.get()
            ));
        });
    }
    use_effect_with(deps, move |d| log(format!("effect {d}")));
    html! { <canvas ref={node} /> }
}

async fn settle() {
    after_paint().await;
    after_paint().await;
}

#[test]
async fn runs_on_the_committed_dom_before_the_browser_and_once_per_deps() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<Probe>::with_root(root).render();
    settle().await;
    assert_eq!(
        taken(),
        ["committed 0 connected=true after-timer=false", "effect 0"],
        "the first render"
    );

    // The same deps: nothing runs again.
    SET.with(|s| s.borrow().as_ref().unwrap().set(1));
    settle().await;
    assert_eq!(taken(), Vec::<String>::new(), "a render with the same deps");

    // New deps: once more, before the browser's turn.
    SET.with(|s| s.borrow().as_ref().unwrap().set(2));
    settle().await;
    assert_eq!(
        taken(),
        ["committed 1 connected=true after-timer=false", "effect 1"],
        "a render with new deps"
    );
    app.destroy();
}
