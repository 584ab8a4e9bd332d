//! The lab's settings panel: the input (a built-in image, a drawing, a dataset sample or an
//! upload), the mode, the activation, the kernel and the hyper-parameters.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::Dispatch;
use super::draw_pad::DrawPad;
use super::upload::LabUpload;
use crate::agent::Decoded;
use crate::components::{KernelEditor, NumberField};
use crate::lab::lenet::{LenetModel, LenetPresets};
use crate::lab::samples::{Dataset, SampleLoad};
use crate::lab::upload::Upload;
use crate::lab::{ActivationChoice, ConvAction, ConvSettings, InputSource, Kernel, Preset};

/// Props of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The settings that change the layer (the step and the calculator left at their
    /// defaults, so the panel does not render while the stepper plays).
    pub settings: ByPtr<ConvSettings>,
    /// The LeNet presets' load states.
    pub lenet: LenetPresets,
    /// A notice about the kept upload, if any.
    pub storage_note: Option<AttrValue>,
    /// Where the actions go.
    pub dispatch: Dispatch,
}

/// The hyper-parameters, each a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HyperKind {
    Stride,
    Padding,
    Dilation,
    Filters,
    Groups,
}

impl HyperKind {
    /// Every field in panel order.
    const ALL: [Self; 5] = [
        Self::Stride,
        Self::Padding,
        Self::Dilation,
        Self::Filters,
        Self::Groups,
    ];

    /// `(label, hint, test id)`.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Stride => ("S", "stride", "stride"),
            Self::Padding => ("P", "padding", "padding"),
            Self::Dilation => ("D", "dilation", "dilation"),
            Self::Filters => ("K", "filters", "filters"),
            Self::Groups => ("g", "groups", "groups"),
        }
    }

    fn value(self, s: &ConvSettings) -> usize {
        match self {
            Self::Stride => s.stride,
            Self::Padding => s.padding,
            Self::Dilation => s.dilation,
            Self::Filters => s.filters,
            Self::Groups => s.groups,
        }
    }

    fn action(self, v: usize) -> ConvAction {
        match self {
            Self::Stride => ConvAction::Stride(v),
            Self::Padding => ConvAction::Padding(v),
            Self::Dilation => ConvAction::Dilation(v),
            Self::Filters => ConvAction::Filters(v),
            Self::Groups => ConvAction::Groups(v),
        }
    }
}

/// One hyper-parameter field.
#[derive(Properties, PartialEq)]
struct HyperProps {
    kind: HyperKind,
    value: usize,
    dispatch: Dispatch,
}

#[component]
fn Hyper(p: &HyperProps) -> Html {
    let on_change = use_callback((p.kind, p.dispatch.clone()), |v: usize, (kind, d)| {
        d.dispatch(kind.action(v));
    });
    let (label, hint, testid) = p.kind.names();
    html! { <NumberField label={label} hint={hint} value={p.value} testid={testid} on_change={on_change} /> }
}

/// A decoded upload as the lab's [`Upload`], sent as `action`. An error means the worker
/// broke its own contract (pixel count): nothing the user can fix, so the lab keeps its image.
fn decoded(d: &Decoded, action: fn(Upload) -> ConvAction, dispatch: &Dispatch) {
    if let Ok(u) = Upload::from_decoded(d.original, d.size, &d.pixels) {
        dispatch.dispatch(action(u));
    }
}

/// Why a chosen dataset sample is not shown yet (its file is loading, or failed to).
fn sample_notice(s: &ConvSettings) -> Html {
    match s.sample_missing() {
        Some((d, SampleLoad::Failed(e))) => html! {
            <p class="error small" role="alert" data-testid="sample-error">
                { format!("The {} samples could not be loaded ({e}), so the lecture's 5×5 image is shown. Reload the page to try again.", d.name()) }
            </p>
        },
        Some((d, _)) => html! {
            <p class="notice small" role="status" data-testid="sample-loading">
                { format!("Loading the {} samples ({})… the lecture's 5×5 image is shown until they arrive.", d.name(), d.url()) }
            </p>
        },
        None => html! {},
    }
}

/// The settings panel.
#[component]
pub fn Controls(p: &ControlsProps) -> Html {
    let s = &*p.settings;
    let d = &p.dispatch;
    // The drawing, shared while it stays the same (the pad compares it by identity).
    let drawn = use_memo(s.drawn.clone(), Clone::clone);
    let on_decoded = use_callback(d.clone(), |x: Decoded, d| {
        decoded(&x, ConvAction::Uploaded, d)
    });
    let on_resized = use_callback(d.clone(), |x: Decoded, d| {
        decoded(&x, ConvAction::RestoreUpload, d)
    });
    let on_upload_size = use_callback(d.clone(), |n: usize, d| {
        d.dispatch(ConvAction::UploadSize(n))
    });
    let on_lenet = use_callback(
        (d.clone(), p.lenet.clone()),
        |(model, filter): (LenetModel, usize), (d, lenet)| {
            if let Some((choice, kernel)) = lenet.choose(model, filter) {
                d.dispatch(ConvAction::LenetFilter(choice, kernel));
            }
        },
    );
    let on_input = use_callback(d.clone(), |e: Event, d| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        if let Some(i) = InputSource::from_key(&select.value()) {
            d.dispatch(ConvAction::Input(i));
        }
    });
    let on_activation = use_callback(d.clone(), |e: Event, d| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        if let Some(a) = ActivationChoice::from_key(&select.value()) {
            d.dispatch(ConvAction::Activation(a));
        }
    });
    let on_mode = use_callback(d.clone(), |e: Event, d| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        d.dispatch(ConvAction::Transposed(select.value() == "transposed"));
    });
    let on_kernel = use_callback(d.clone(), |k: Kernel, d| d.dispatch(ConvAction::Kernel(k)));
    let on_preset = use_callback(d.clone(), |k: Preset, d| d.dispatch(ConvAction::Preset(k)));
    let mut sources = vec![
        InputSource::Lecture,
        InputSource::Drawn,
        InputSource::Rgb,
        InputSource::Upload,
    ];
    for ds in Dataset::ALL {
        sources.extend((0..ds.len()).map(|i| InputSource::Sample(ds, i)));
    }
    html! {
        <section class="panel controls" aria-label="Lab settings">
            <div class="controls-grid">
                <div>
                    <h3>{"Input"}</h3>
                    <label class="field">
                        <span class="field-label"><strong>{"image"}</strong></span>
                        <select data-testid="input-source" onchange={on_input}>
                            { for sources.iter().map(|src| html! {
                                <option value={src.key()} selected={*src == s.input}>{ src.label() }</option>
                            }) }
                        </select>
                    </label>
                    if s.input == InputSource::Drawn {
                        <DrawPad size={s.draw_size} drawn={ByPtr::of(&drawn)} dispatch={d.clone()} />
                    }
                    <LabUpload size={s.upload_size}
                        description={s.upload.as_ref().map(|u| AttrValue::from(u.describe()))}
                        on_decoded={on_decoded} on_resized={on_resized} on_size={on_upload_size} />
                    if s.upload_missing() {
                        <p class="notice small" role="status" data-testid="upload-missing">
                            {"No uploaded image is kept in this browser, so the lecture's 5×5 image is shown. Choose, drop or paste an image above."}
                        </p>
                    }
                    { sample_notice(s) }
                    if let Some(note) = &p.storage_note {
                        <p class="notice small" role="status" data-testid="upload-storage-note">{ note.clone() }</p>
                    }
                    <label class="field">
                        <span class="field-label"><strong>{"mode"}</strong></span>
                        <select data-testid="mode" onchange={on_mode}>
                            <option value="conv" selected={!s.transposed}>{"convolution (stepper)"}</option>
                            <option value="transposed" selected={s.transposed}>{"transposed convolution"}</option>
                        </select>
                    </label>
                    <label class="field">
                        <span class="field-label"><strong>{"activation"}</strong></span>
                        <select data-testid="activation" onchange={on_activation}>
                            { for ActivationChoice::ALL.iter().map(|a| html! {
                                <option value={a.key()} selected={*a == s.activation}>{ a.label() }</option>
                            }) }
                        </select>
                    </label>
                </div>
                <div>
                    <h3>{"Kernel"}</h3>
                    <KernelEditor kernel={s.kernel.clone()} preset={s.preset}
                        on_change={on_kernel} on_preset={on_preset}
                        lenet={p.lenet.0.clone()} lenet_choice={s.lenet} on_lenet={on_lenet} />
                    if let Some(l) = s.lenet {
                        <p class="muted small" data-testid="lenet-bias">
                            { format!("{}: LeNet adds the bias b = {} to this filter's sum; the lab's layer has no bias, so it is not added here.",
                                l.model.label(l.filter), l.bias) }
                        </p>
                    }
                    if s.filters > 1 {
                        <p class="muted small">{ format!("Filter k is this kernel turned k·90° ({} filters).", s.filters) }</p>
                    }
                </div>
                <div>
                    <h3>{"Hyper-parameters"}</h3>
                    <div class="hyper-stack">
                        { for HyperKind::ALL.into_iter().map(|kind| html! {
                            <Hyper kind={kind} value={kind.value(s)} dispatch={d.clone()} />
                        }) }
                    </div>
                    <p class="muted small">{ format!("D1 = {} (input depth, from the image)", s.depth()) }</p>
                </div>
            </div>
        </section>
    }
}
