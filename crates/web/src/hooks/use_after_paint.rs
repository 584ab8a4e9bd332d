//! A flag that turns on once something shown has been painted.

use yew::platform::spawn_local;
use yew::prelude::*;

/// The next animation frame (a promise resolved by `requestAnimationFrame`).
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// `false` until `shown` has been true for a painted frame, then `true` for good. What a
/// page draws after its first answer (the Classify page's gallery pictures and learned
/// filters, two hundred canvases) waits for that answer to reach the screen.
#[hook]
pub fn use_after_paint(shown: bool) -> bool {
    let after = use_state_eq(|| false);
    {
        let after = after.clone();
        use_effect_with(shown, move |&shown| {
            if shown && !*after {
                // The first frame paints what was shown; the flag turns on in the next.
                spawn_local(async move {
                    next_frame().await;
                    next_frame().await;
                    after.set(true);
                });
            }
        });
    }
    *after
}
