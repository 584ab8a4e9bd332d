//! Every page's settings kept in the URL hash's query (`#/convolution?s=2`), so they survive
//! a reload and can be shared as a link: the [`Query`] a page's state writes goes to the URL,
//! and a followed or pasted link comes back as one.

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::route::Route;
use crate::url::{Query, query_of};

/// How long the query must stay unchanged before the URL is rewritten: playing at 60 steps
/// a second must not call `history.replaceState` 60 times a second (browsers throttle it).
const DEBOUNCE_MS: u32 = 250;

/// The current location hash.
fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The query of the current location hash (empty when none).
pub fn initial_query() -> Query {
    Query::parse(query_of(&location_hash()))
}

/// Whether the page's debounced write of `href` (its query on `route`, `bare` when empty)
/// replaces the URL hash `current`, which was `planned` when the write was planned.
fn replaces(route: Route, planned: &str, current: &str, href: &str, bare: bool) -> bool {
    // Only our own page's URL, only when it changes, and a bare `#/page` stays bare.
    let stale = !bare || current.contains('?');
    // A link pasted or followed meanwhile is not overwritten: its `hashchange` may not have
    // been handled yet (the handler reads the hash then), and once it has, the page's query
    // is the link's and is written after it.
    Route::from_hash(current) == route && current == planned && stale && current != href
}

/// Replaces the URL with `query` on `route` when [`replaces`] says so.
fn write(route: Route, query: &Query, planned: &str) {
    let query = query.encode();
    let href = route.href_with(&query);
    if let Some(window) = web_sys::window() {
        let current = window.location().hash().unwrap_or_default();
        if replaces(route, planned, &current, &href, query.is_empty())
            && let Ok(history) = window.history()
        {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&href));
        }
    }
}

/// Writes `query` into the URL as `#/<route>?<query>` (just `#/<route>` when empty) with
/// `history.replaceState` (no new history entry, no `hashchange`), once it has been stable
/// for [`DEBOUNCE_MS`]. The pending [`Timeout`] lives in the effect: a newer query or
/// unmounting drops (cancels) it.
#[hook]
pub fn use_query_sync(route: Route, query: Query) {
    use_effect_with(query, move |query| {
        let query = query.clone();
        let planned = location_hash();
        let timer = Timeout::new(DEBOUNCE_MS, move || write(route, &query, &planned));
        move || drop(timer)
    });
}

/// Emits the new query whenever the hash changes to `route` (a pasted or followed link;
/// the page's own `replaceState` writes fire no `hashchange`). The listener lives in the
/// effect and is dropped on unmount.
#[hook]
pub fn use_hash_query(route: Route, on_query: Callback<Query>) {
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            EventListener::new(&window, "hashchange", move |_| {
                let hash = location_hash();
                if Route::from_hash(&hash) == route {
                    on_query.emit(Query::parse(query_of(&hash)));
                }
            })
        });
        move || drop(listener)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_its_own_page_s_changed_query_only() {
        let r = Route::Classify;
        let (old, new) = ("#/classify?model=mnist", "#/classify?model=fashion");
        assert!(replaces(r, old, old, new, false), "the page's new query");
        assert!(!replaces(r, new, new, new, false), "unchanged");
        assert!(
            !replaces(r, "#/pooling", "#/pooling", new, false),
            "another page's URL"
        );
        assert!(
            !replaces(r, "#/classify", "#/classify", "#/classify", true),
            "a bare URL stays"
        );
        assert!(
            replaces(r, old, old, "#/classify", true),
            "an emptied query"
        );
    }

    #[test]
    fn a_link_followed_before_the_write_is_not_overwritten() {
        // The page planned to write its query at mount; a link came before the write (its
        // `hashchange` not yet handled): the link stays, for the page to read.
        let r = Route::Classify;
        let link = "#/classify?model=fashion&explain=occlusion";
        assert!(!replaces(
            r,
            "#/classify",
            link,
            "#/classify?explain=saliency",
            false
        ));
        assert!(!replaces(r, "#/classify", link, "#/classify", true));
    }
}
