//! Performance marks: how long a first visit takes to show something, read by
//! `cargo xtask bench` (`bench/first-visit.mjs`) from the page's performance timeline.
//!
//! - [`FIRST_CANVAS`]: the first lab canvas drawn (on `#/convolution`, the lab's first frame);
//! - [`FIRST_PREDICTION`]: the Classify page's first prediction handed to the page.
//!
//! The core's worker marks its own timeline ([`mark_in_worker_once`]): `convscope:worker-ready`
//! when its wasm is up, and the start and end of the first request of each kind
//! (`convscope:worker-Classify-start`, `…-end`), and the end of the file the page's loader
//! handed over (`convscope:worker-handover-end`), so that a first visit's time can be split
//! between the page, the worker's start and the work.

/// The first canvas a page draws.
pub const FIRST_CANVAS: &str = "convscope:first-canvas";
/// The Classify page's first prediction.
pub const FIRST_PREDICTION: &str = "convscope:first-prediction";

/// Marks `name` on the window's performance timeline unless it is already there (so only
/// the first occurrence counts). Does nothing where there is no window (the worker, tests).
pub fn mark_once(name: &str) {
    let Some(perf) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    if perf.get_entries_by_name(name).length() == 0 {
        // A failing mark only loses a measurement; the page goes on.
        let _ = perf.mark(name);
    }
}

/// Marks `name` on the worker's own performance timeline unless it is already there. Does
/// nothing outside a worker.
pub fn mark_in_worker_once(name: &str) {
    use wasm_bindgen::JsCast;
    let Some(perf) = js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|w| w.performance())
    else {
        return;
    };
    if perf.get_entries_by_name(name).length() == 0 {
        let _ = perf.mark(name);
    }
}
