//! Receiving an image file, the one way every page does it: a file button, a drop zone
//! around it, and paste (Ctrl+V of an image anywhere on the page). A file over
//! [`MAX_FILE_BYTES`] is refused before it is read, with a message saying so; every other
//! file is handed to the page, which decodes it its own way (the Convolution lab in the
//! image worker at a chosen size, the Classify page through its preprocessing there too).
//!
//! The image worker's decoders load with the first file, or sooner when a visitor shows
//! they are about to give one: a pointer or the focus entering the zone, or a file dragged
//! over it, starts the worker ([`crate::core_worker::CoreWorker::warm`]), so that the file
//! finds it ready.
//!
//! By keyboard: the file button is a native control (Tab to it; Enter or Space opens the
//! chooser) and paste works from anywhere; the zone is a labelled group that shows when the
//! focus is inside it. Use one per page: a paste an instance has taken (its default
//! prevented) is left alone by any other.

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Blob, ClipboardEvent, DragEvent, FileList, HtmlInputElement};
use yew::prelude::*;

use crate::core_worker::use_images;
use crate::fetch::{MAX_FILE_BYTES, too_large};

/// Props of [`ImageInput`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct ImageInputProps {
    /// The drop zone's `data-testid` (a page's tests drop onto it).
    pub testid: AttrValue,
    /// The file button's `data-testid`.
    pub file_testid: AttrValue,
    /// The field's name ("your image").
    pub label: AttrValue,
    /// Shown as `data-replies` when set: how many files the page has answered, so a test can
    /// await a round trip.
    #[prop_or_default]
    pub replies: Option<u64>,
    /// What the page shows inside the zone below the button (a size, its status lines).
    #[prop_or_default]
    pub children: Html,
    /// A file was chosen, dropped or pasted: `(name, blob)`, never over [`MAX_FILE_BYTES`].
    pub on_file: Callback<(String, Blob)>,
    /// A file was refused before it was read: the message (it names the file and the limit).
    pub on_refused: Callback<String>,
}

/// The first file of a list, named ("the pasted image" when the clipboard gave no name).
fn first_file(files: Option<FileList>) -> Option<(String, Blob)> {
    let f = files?.get(0)?;
    let name = match f.name() {
        n if n.is_empty() => "the pasted image".to_owned(),
        n => n,
    };
    Some((name, f.into()))
}

/// Hands `file` on, or refuses it when it is too large to read.
fn receive(
    (name, blob): (String, Blob),
    on_file: &Callback<(String, Blob)>,
    on_refused: &Callback<String>,
) {
    if blob.size() > MAX_FILE_BYTES {
        on_refused.emit(too_large(&name, blob.size()));
    } else {
        on_file.emit((name, blob));
    }
}

/// The file button, the drop zone around it and the page's paste listener.
#[component]
pub fn ImageInput(props: &ImageInputProps) -> Html {
    let over = use_state_eq(|| false);
    let handlers = (props.on_file.clone(), props.on_refused.clone());
    let images = use_images();

    // Paste anywhere on the page. Re-made when the page's callbacks change; dropped on unmount.
    use_effect_with(handlers.clone(), move |(on_file, on_refused)| {
        let (on_file, on_refused) = (on_file.clone(), on_refused.clone());
        let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
            // Not passive: an image pasted here must not also land elsewhere.
            let options = EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&doc, "paste", options, move |e| {
                let Some(e) = e.dyn_ref::<ClipboardEvent>() else {
                    return;
                };
                if e.default_prevented() {
                    return;
                }
                if let Some(file) = first_file(e.clipboard_data().and_then(|d| d.files())) {
                    e.prevent_default();
                    receive(file, &on_file, &on_refused);
                }
            })
        });
        move || drop(listener)
    });

    let onchange = use_callback(handlers.clone(), |e: Event, (on_file, on_refused)| {
        let input: HtmlInputElement = e.target_unchecked_into();
        if let Some(file) = first_file(input.files()) {
            receive(file, on_file, on_refused);
        }
        // The same file chosen again must fire `change` again.
        input.set_value("");
    });
    let ondragover = use_callback(
        (over.setter(), images.clone()),
        |e: DragEvent, (over, images)| {
            e.prevent_default();
            images.warm();
            over.set(true);
        },
    );
    let onpointerenter = use_callback(images.clone(), |_: PointerEvent, images| images.warm());
    let onfocusin = use_callback(images, |_: FocusEvent, images| images.warm());
    let ondragleave = use_callback(over.setter(), |_: DragEvent, over| over.set(false));
    let ondrop = use_callback(
        (over.setter(), handlers),
        |e: DragEvent, (over, (on_file, on_refused))| {
            e.prevent_default();
            over.set(false);
            if let Some(file) = first_file(e.data_transfer().and_then(|d| d.files())) {
                receive(file, on_file, on_refused);
            }
        },
    );

    let label_id = format!("{}-label", props.testid);
    let hint_id = format!("{}-hint", props.testid);
    html! {
        <div class={classes!("dropzone", (*over).then_some("over"))} data-testid={props.testid.clone()}
            role="group" aria-labelledby={label_id.clone()} aria-describedby={hint_id.clone()}
            data-replies={props.replies.map(|n| n.to_string())}
            {ondragover} {ondragleave} {ondrop} {onpointerenter} {onfocusin}>
            <label class="field">
                <span class="field-label"><strong id={label_id}>{ props.label.clone() }</strong>
                    <span class="muted">{" PNG, JPEG, GIF, WebP or BMP"}</span></span>
                <input type="file" accept="image/*" data-testid={props.file_testid.clone()}
                    aria-describedby={hint_id.clone()} {onchange} />
            </label>
            <p class="muted small" id={hint_id}>
                { format!("…or drop one on this box, or paste one anywhere on the page (Ctrl+V). At most {:.0} MiB.",
                    MAX_FILE_BYTES / 1024.0 / 1024.0) }
            </p>
            { props.children.clone() }
        </div>
    }
}
