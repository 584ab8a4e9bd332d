//! After a painted frame: the future a first visit defers its non-urgent work to, and a flag
//! that turns on once something shown has been painted.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::platform::spawn_local;
use yew::prelude::*;

/// How long [`after_paint`] waits at most: animation frames do not come in a hidden tab.
const AFTER_PAINT_MAX_MS: i32 = 100;

/// Resolves once the frame being prepared now has been painted (the second animation frame
/// from now), or after `AFTER_PAINT_MAX_MS` (100 ms) if frames do not come (a hidden tab), or at
/// once where there is no window. Work a first visit does not need for its first frame
/// (starting a web worker, fetching presets, drawing what lies below the fold) waits for it,
/// so that the frame comes sooner.
pub async fn after_paint() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(w) = web_sys::window() else {
            let _ = resolve.call0(&JsValue::UNDEFINED);
            return;
        };
        // Resolving twice is harmless: whichever comes first counts.
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, AFTER_PAINT_MAX_MS);
        let second = Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.request_animation_frame(&resolve);
            }
        });
        let _ = w.request_animation_frame(second.unchecked_ref());
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
                    after_paint().await;
                    after.set(true);
                });
            }
        });
    }
    *after
}
