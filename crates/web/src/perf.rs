//! Performance marks: how long a first visit takes to show something, read by
//! `cargo xtask bench` (`bench/first-visit.mjs`) from the page's performance timeline.
//!
//! - [`FIRST_CANVAS`]: the first lab canvas drawn (on `#/convolution`, the lab's first frame);
//! - [`FIRST_PREDICTION`]: the Classify page's first prediction handed to the page.

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
