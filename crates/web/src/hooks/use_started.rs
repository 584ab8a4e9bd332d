//! Work a page starts while it renders, not in an effect.

use yew::prelude::*;

/// Calls `start` during the render in which `deps` first appear or change, once per value,
/// for work that touches no DOM: a fetch, a request to a worker.
///
/// yew runs effects after the render, and a render that took longer than its 16 ms budget
/// (a page's first, on a first visit) yields to the browser first (a `setTimeout`): the
/// effects then waited for the layout, the paint and the timer, which on a first visit of
/// the Classify page came 50–150 ms after the render. What `start` spawns begins at once and
/// runs its continuations as its answers come.
#[hook]
pub fn use_started<D, F>(deps: D, start: F)
where
    D: PartialEq + 'static,
    F: FnOnce(&D),
{
    use_memo(deps, start);
}
