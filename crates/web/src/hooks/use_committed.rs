//! Work on this render's DOM, done before the browser lays it out and paints it.

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

/// Calls `f` with `deps` once the DOM of the render in which `deps` first appear or change is
/// in the document, before the browser's next layout and paint: in a microtask queued by the
/// render, which runs once yew's scheduler has committed the renders it holds. For drawing
/// into an element of this render (a canvas).
///
/// `use_effect_with` would do the same a frame late on a page's first render: yew runs
/// effects after the renders, and when those took longer than 16 ms (a page's first on a
/// first visit: its code compiles as it first runs) it yields to the browser first (a
/// `setTimeout`), so the page was laid out and painted with its canvases blank, and drawn
/// after the timer. Renders with equal `deps` queue nothing; a newer `deps` queued before an
/// older ran runs after it (in order).
#[hook]
pub fn use_committed<D, F>(deps: D, f: F)
where
    D: PartialEq + 'static,
    F: FnOnce(&D) + 'static,
{
    let last = use_mut_ref(|| None::<Rc<D>>);
    let changed = last.borrow().as_deref() != Some(&deps);
    if changed {
        let deps = Rc::new(deps);
        *last.borrow_mut() = Some(Rc::clone(&deps));
        spawn_local(async move { f(&deps) });
    }
}
