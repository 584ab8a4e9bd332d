//! The steppers' keyboard shortcuts: ←/→ step, space plays or pauses, Home/End jump.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// A stepper shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabKey {
    /// ← : one step back.
    Back,
    /// → : one step forward.
    Forward,
    /// Space: play or pause.
    TogglePlay,
    /// Home: the first step.
    First,
    /// End: the last step.
    Last,
}

fn key_of(key: &str) -> Option<LabKey> {
    match key {
        "ArrowLeft" => Some(LabKey::Back),
        "ArrowRight" => Some(LabKey::Forward),
        " " | "Spacebar" => Some(LabKey::TogglePlay),
        "Home" => Some(LabKey::First),
        "End" => Some(LabKey::Last),
        _ => None,
    }
}

/// Whether the key belongs to a form control (typing a number, moving a slider, pressing
/// a focused button with space): the shortcut must not steal it.
fn in_control(event: &web_sys::KeyboardEvent, key: LabKey) -> bool {
    let Some(el) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    match el.tag_name().to_ascii_lowercase().as_str() {
        "input" | "select" | "textarea" => true,
        "button" | "a" => key == LabKey::TogglePlay,
        _ => el.has_attribute("contenteditable"),
    }
}

/// The stepper shortcut `event` presses, if any: none with a modifier held, none a form
/// control needs (for a player inside a page, from its own `keydown`).
pub fn lab_key(event: &web_sys::KeyboardEvent) -> Option<LabKey> {
    if event.ctrl_key() || event.meta_key() || event.alt_key() {
        return None;
    }
    key_of(&event.key()).filter(|&key| !in_control(event, key))
}

/// Emits `on_key` for the shortcuts pressed anywhere on the page outside form controls.
/// The listener lives in the effect and is dropped (detached) on unmount.
#[hook]
pub fn use_lab_keys(on_key: Callback<LabKey>) {
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            let options = EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&window, "keydown", options, move |event| {
                let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if let Some(key) = lab_key(event) {
                    event.prevent_default();
                    on_key.emit(key);
                }
            })
        });
        move || drop(listener)
    });
}
