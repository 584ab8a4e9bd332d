//! The lab's upload: the shared [`ImageInput`] (file button, drop zone, paste anywhere on the
//! page) with the size the file is resized to. The file is decoded and resized in the image
//! worker ([`CoreRequest::DecodeImage`]); a refused file shows the message in an alert and
//! the page keeps its image.
//!
//! The file's bytes are kept (in this component, for this visit) so that a new size
//! re-decodes the file itself. After a reload only the stored pixels remain, and the page
//! resamples those instead ([`crate::lab::upload::Upload::resampled`]).

use std::cell::RefCell;
use std::rc::Rc;

use crate::core_worker::{CoreWorker, use_images};
use web_sys::{Blob, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{CoreReply, CoreRequest, Decoded};
use crate::components::ImageInput;
use crate::fetch::blob_bytes;
use crate::lab::upload::UPLOAD_SIZES;

/// Props of [`LabUpload`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct LabUploadProps {
    /// The side uploads are resized to.
    pub size: usize,
    /// "uploaded 640×480 → 28×28", when an image is kept.
    #[prop_or_default]
    pub description: Option<AttrValue>,
    /// A new file decoded by the worker.
    pub on_decoded: Callback<Decoded>,
    /// The kept file decoded again at a new size (the input stays what it is).
    pub on_resized: Callback<Decoded>,
    /// Another size chosen.
    pub on_size: Callback<usize>,
}

/// What the panel remembers between renders (not drawn).
#[derive(Debug, Default)]
struct Kept {
    /// The last file that decoded, for re-decoding at another size.
    bytes: Option<Rc<Vec<u8>>>,
    /// The file being decoded now: a new size restarts it at that size.
    pending: Option<(Rc<Vec<u8>>, bool)>,
    /// Increases with every request: an older reply is ignored.
    generation: u64,
    /// Replies applied so far (shown as `data-replies`, so a test can await a round trip).
    replies: u64,
}

/// Everything a decode needs, cheap to clone into event handlers.
#[derive(Clone)]
struct Decoder {
    runner: CoreWorker,
    kept: Rc<RefCell<Kept>>,
    error: UseStateHandle<Option<String>>,
    busy: UseStateHandle<bool>,
    replies: UseStateHandle<u64>,
    on_decoded: Callback<Decoded>,
    on_resized: Callback<Decoded>,
}

impl Decoder {
    /// Sends `bytes` to the worker at `size`; the reply updates the page unless a newer
    /// request was made meanwhile. `fresh`: a new file (it becomes the input), not the kept
    /// one at another size.
    fn start(&self, bytes: Rc<Vec<u8>>, size: usize, fresh: bool) {
        let generation = {
            let mut kept = self.kept.borrow_mut();
            kept.generation += 1;
            kept.pending = Some((bytes.clone(), fresh));
            kept.generation
        };
        self.busy.set(true);
        let this = self.clone();
        spawn_local(async move {
            let reply = this
                .runner
                .run(CoreRequest::DecodeImage {
                    bytes: bytes.to_vec(),
                    size,
                })
                .await;
            let replies = {
                let mut kept = this.kept.borrow_mut();
                if kept.generation != generation {
                    return;
                }
                kept.pending = None;
                kept.replies += 1;
                kept.replies
            };
            this.busy.set(false);
            this.replies.set(replies);
            match reply {
                CoreReply::Decoded(Ok(decoded)) => {
                    this.kept.borrow_mut().bytes = Some(bytes);
                    this.error.set(None);
                    if fresh {
                        this.on_decoded.emit(decoded);
                    } else {
                        this.on_resized.emit(decoded);
                    }
                }
                CoreReply::Decoded(Err(message)) => this.error.set(Some(message)),
                other => this
                    .error
                    .set(Some(crate::agent::unexpected(other, "a decode"))),
            }
        });
    }

    /// Reads a file (or pasted blob), then decodes it. (A file too large to read was
    /// refused by [`ImageInput`].)
    fn read(&self, blob: Blob, size: usize) {
        let this = self.clone();
        self.busy.set(true);
        spawn_local(async move {
            match blob_bytes(&blob).await {
                Ok(bytes) => this.start(Rc::new(bytes), size, true),
                Err(message) => {
                    this.busy.set(false);
                    this.error.set(Some(message));
                }
            }
        });
    }
}

/// The lab's upload panel.
#[component]
pub fn LabUpload(props: &LabUploadProps) -> Html {
    let runner = use_images();
    let kept = use_mut_ref(Kept::default);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let replies = use_state(|| 0u64);
    let decoder = Decoder {
        runner,
        kept,
        error: error.clone(),
        busy: busy.clone(),
        replies: replies.clone(),
        on_decoded: props.on_decoded.clone(),
        on_resized: props.on_resized.clone(),
    };
    let size = props.size;

    // A new file is decoded at the current size.
    let on_file = use_callback(
        (size, props.on_decoded.clone(), props.on_resized.clone()),
        {
            let decoder = decoder.clone();
            move |(_, blob): (String, Blob), (size, _, _)| decoder.read(blob, *size)
        },
    );
    let on_refused = use_callback(error.setter(), |message: String, error| {
        error.set(Some(message));
    });
    let on_size = use_callback(
        (
            props.on_size.clone(),
            props.on_decoded.clone(),
            props.on_resized.clone(),
        ),
        move |e: Event, (on_size, _, _)| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let Ok(n) = select.value().parse::<usize>() else {
                return;
            };
            on_size.emit(n);
            // A file still decoding restarts at the new size; otherwise the kept one is
            // decoded again (no file yet, or after a reload: the page resamples instead).
            let next = {
                let kept = decoder.kept.borrow();
                kept.pending
                    .clone()
                    .or_else(|| kept.bytes.clone().map(|b| (b, false)))
            };
            if let Some((bytes, fresh)) = next {
                decoder.start(bytes, n, fresh);
            }
        },
    );
    html! {
        <ImageInput testid="upload-panel" file_testid="upload-file" label="your image"
            replies={Some(*replies)} {on_file} {on_refused}>
            <label class="field">
                <span class="field-label"><strong>{"resize to"}</strong></span>
                <select data-testid="upload-size" onchange={on_size}>
                    { for UPLOAD_SIZES.iter().map(|&n| html! {
                        <option value={n.to_string()} selected={n == size}>{ format!("{n}×{n}") }</option>
                    }) }
                </select>
            </label>
            if *busy {
                <p class="pending small" role="status">{"decoding in the web worker…"}</p>
            }
            if let Some(d) = &props.description {
                <p class="muted small" data-testid="upload-info">{ d.clone() }</p>
            }
            if let Some(message) = &*error {
                <p class="error" role="alert" data-testid="upload-error">{ format!("This file cannot be used: {message}.") }</p>
            }
        </ImageInput>
    }
}
