//! Image files in: a file button, a drop zone, and paste (Ctrl+V of an image anywhere on
//! the page). Each emits the browser's `File` (or pasted blob) with a name.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Blob, ClipboardEvent, DragEvent, FileList, HtmlInputElement};
use yew::prelude::*;

/// Props of [`ImageInput`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ImageInputProps {
    /// A file was chosen, dropped or pasted: `(name, blob)`.
    pub on_file: Callback<(String, Blob)>,
}

fn first_file(files: Option<FileList>) -> Option<(String, Blob)> {
    let f = files?.get(0)?;
    Some((f.name(), f.into()))
}

/// The file button, drop zone and paste listener.
#[component]
pub fn ImageInput(props: &ImageInputProps) -> Html {
    let over = use_state(|| false);
    {
        // Paste anywhere on the page: the listener lives as long as the component.
        let on_file = props.on_file.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                // Not passive: an image pasted here must not also land elsewhere.
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&doc, "paste", options, move |e| {
                    let Some(e) = e.dyn_ref::<ClipboardEvent>() else {
                        return;
                    };
                    if let Some((name, blob)) =
                        first_file(e.clipboard_data().and_then(|d| d.files()))
                    {
                        e.prevent_default();
                        let name = if name.is_empty() {
                            "the pasted image".into()
                        } else {
                            name
                        };
                        on_file.emit((name, blob));
                    }
                })
            });
            move || drop(listener)
        });
    }
    let onchange = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = first_file(input.files()) {
                on_file.emit(f);
            }
            // The same file chosen again must fire `change` again.
            input.set_value("");
        })
    };
    let ondragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*over {
                over.set(true);
            }
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = {
        let over = over.clone();
        let on_file = props.on_file.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            if let Some(f) = first_file(e.data_transfer().and_then(|d| d.files())) {
                on_file.emit(f);
            }
        })
    };
    html! {
        <div class={classes!("dropzone", (*over).then_some("over"))} data-testid="drop-zone"
            {ondragover} {ondragleave} {ondrop}>
            <label class="field">
                <span class="field-label"><strong>{"an image file"}</strong>
                    <span class="muted">{" PNG, JPEG, GIF, WebP or BMP"}</span></span>
                <input type="file" accept="image/*" data-testid="image-file" {onchange} />
            </label>
            <p class="muted small">{"…or drop one here, or paste one (Ctrl+V)."}</p>
        </div>
    }
}
