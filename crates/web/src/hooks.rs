//! Custom hooks: the route, a timer, a flag raised after a first answer is painted, drawing
//! on a render's DOM before it is painted, the lab's keyboard shortcuts, a stepper's player
//! driven by both, URL-query state, work started while a page renders, and the newest answer
//! of the core's worker.

mod use_after_paint;
mod use_committed;
mod use_interval;
mod use_lab_keys;
mod use_player_drive;
mod use_query_state;
mod use_started;
mod use_worker_answer;

pub use use_after_paint::{after_paint, use_after_paint};
pub use use_committed::use_committed;
pub use use_interval::use_interval;
pub use use_lab_keys::{LabKey, lab_key, use_lab_keys};
pub use use_player_drive::use_player_drive;
pub use use_query_state::{initial_query, use_hash_query, use_query_sync};
pub use use_started::use_started;
pub use use_worker_answer::{WorkerAnswer, use_worker_answer};

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
