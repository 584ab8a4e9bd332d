//! Custom hooks.

use gloo_events::EventListener;
use yew::prelude::*;

use crate::route::Route;

/// The page the URL's hash names, updated on every `hashchange`.
///
/// The listener lives in the effect's cleanup, so unmounting drops (and detaches) it.
#[hook]
pub fn use_hash_route() -> Route {
    let route = use_state(current_route);
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| route.set(current_route()))
            });
            move || drop(listener)
        });
    }
    *route
}

fn current_route() -> Route {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|hash| Route::from_hash(&hash))
        .unwrap_or(Route::Convolution)
}
