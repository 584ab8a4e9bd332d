//! The kernel: presets (the built-in ones and the shipped LeNet's conv1 filters), a size
//! from 1×1 to 11×11, and a grid of weights to type, or to nudge with the mouse wheel
//! (shift: ×0.1) or the arrow keys.

use convscope_core::format::parse_f32;
use web_sys::{HtmlInputElement, HtmlSelectElement, WheelEvent};
use yew::prelude::*;

use crate::lab::Kernel;
use crate::lab::Preset;
use crate::lab::kernel::MAX_KERNEL;
use crate::lab::lenet::{LenetChoice, LenetLoad, LenetModel};

/// Props of [`KernelEditor`].
#[derive(Debug, Clone, Properties, PartialEq)]
pub struct KernelEditorProps {
    /// The kernel.
    pub kernel: Kernel,
    /// The preset it came from, if unedited.
    pub preset: Option<Preset>,
    /// An edited kernel.
    pub on_change: Callback<Kernel>,
    /// A preset chosen.
    pub on_preset: Callback<Preset>,
    /// The LeNet models' filters: loading, ready or failed.
    #[prop_or_default]
    pub lenet: Vec<(LenetModel, LenetLoad)>,
    /// The LeNet filter the kernel came from, if unedited.
    #[prop_or_default]
    pub lenet_choice: Option<LenetChoice>,
    /// A LeNet filter chosen: `(model, filter index)`.
    #[prop_or_default]
    pub on_lenet: Callback<(LenetModel, usize)>,
}

fn round(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

/// Props of [`KernelCell`]: compared by value, so that an edit renders the one cell that
/// changed, not all 121 of an 11×11 kernel.
#[derive(Debug, Clone, Properties, PartialEq)]
struct KernelCellProps {
    /// Row-major index in the kernel.
    index: usize,
    /// F.
    side: usize,
    /// The weight.
    weight: f32,
    /// What is being typed into the cell, until `change` commits it.
    text: Option<AttrValue>,
    onchange: Callback<Event>,
    oninput: Callback<InputEvent>,
    onwheel: Callback<WheelEvent>,
}

/// One weight of the kernel, to type or nudge.
#[component]
fn KernelCell(p: &KernelCellProps) -> Html {
    let (y, x) = (p.index / p.side.max(1), p.index % p.side.max(1));
    let value = p
        .text
        .clone()
        .unwrap_or_else(|| AttrValue::from(round(p.weight).to_string()));
    html! {
        <input type="number" step="1" class="kernel-cell"
            {value}
            data-index={p.index.to_string()}
            data-value={p.weight.to_string()}
            aria-label={format!("weight row {y} column {x}")}
            data-testid={format!("kernel-{y}-{x}")}
            title="type a value; wheel or ↑/↓ to nudge (shift+wheel: 0.1)"
            onchange={p.onchange.clone()} oninput={p.oninput.clone()} onwheel={p.onwheel.clone()} />
    }
}

/// The cell an event came from: its `data-index`.
fn cell_index(input: &HtmlInputElement) -> Option<usize> {
    input.get_attribute("data-index")?.parse().ok()
}

/// The kernel editor.
#[component]
pub fn KernelEditor(props: &KernelEditorProps) -> Html {
    let k = &props.kernel;
    let on_preset = {
        let on_preset = props.on_preset.clone();
        let on_lenet = props.on_lenet.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            if let Some(p) = Preset::from_key(&value) {
                on_preset.emit(p);
            } else if let Some(choice) = LenetChoice::parse_key(&value) {
                on_lenet.emit(choice);
            }
        })
    };
    // The text being typed into a cell, until `change` commits it: Yew rewrites an input's
    // value on every render, so a render for another reason (a LeNet model finishing
    // loading) would otherwise wipe what the user is typing.
    let draft = use_state(|| None::<(usize, String)>);
    let on_size = {
        let on_change = props.on_change.clone();
        let k = k.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(n) = select.value().parse::<usize>() {
                on_change.emit(k.resized(n));
            }
        })
    };
    // Three callbacks for the whole grid, the cell read from the event's `data-index`, and
    // the same across edits (they read the kernel from `latest`): a cell's props change only
    // when its weight or its draft does, so an edit renders one cell.
    let latest = use_mut_ref(|| k.clone());
    latest.borrow_mut().clone_from(k);
    let set = use_callback(
        (props.on_change.clone(), latest, draft.setter()),
        |(i, v): (usize, f32), (on_change, latest, set_draft)| {
            set_draft.set(None);
            let mut k = latest.borrow().clone();
            if let Some(w) = k.values.get_mut(i) {
                *w = round(v);
                on_change.emit(k);
            }
        },
    );
    let onchange = use_callback(
        (set.clone(), draft.setter()),
        |e: Event, (set, set_draft)| {
            // Committed or not a number: either way the cell shows the kernel again.
            set_draft.set(None);
            let input: HtmlInputElement = e.target_unchecked_into();
            if let (Some(i), Some(v)) = (cell_index(&input), parse_f32(input.value().trim())) {
                set.emit((i, v));
            }
        },
    );
    let onwheel = use_callback(set.clone(), |e: WheelEvent, set| {
        e.prevent_default();
        let input: HtmlInputElement = e.target_unchecked_into();
        // The weight the cell shows (`data-value`: the kernel this render drew).
        let weight = input
            .get_attribute("data-value")
            .and_then(|v| parse_f32(&v));
        let (Some(i), Some(v)) = (cell_index(&input), weight) else {
            return;
        };
        let delta = if e.shift_key() { 0.1 } else { 1.0 };
        set.emit((
            i,
            if e.delta_y() < 0.0 {
                v + delta
            } else {
                v - delta
            },
        ));
    });
    let oninput = use_callback(draft.setter(), |e: InputEvent, set_draft| {
        let input: HtmlInputElement = e.target_unchecked_into();
        if let Some(i) = cell_index(&input) {
            set_draft.set(Some((i, input.value())));
        }
    });
    let cell = |i: usize| {
        let text = match &*draft {
            Some((j, text)) if *j == i => Some(AttrValue::from(text.clone())),
            _ => None,
        };
        html! {
            <KernelCell key={i} index={i} side={k.size} weight={k.values[i]} {text}
                onchange={onchange.clone()} oninput={oninput.clone()} onwheel={onwheel.clone()} />
        }
    };
    // Up to 7×7 there is room for a learned weight's "−0.153"; larger grids stay compact.
    let cell_width = if k.size <= 7 {
        "minmax(3.4rem, 4.4rem)"
    } else {
        "minmax(2.6rem, 3.4rem)"
    };
    html! {
        <div class="kernel-editor">
            <div class="row">
                <label class="field">
                    <span class="field-label"><strong>{"preset"}</strong></span>
                    <select data-testid="kernel-preset" onchange={on_preset}>
                        <option value="" selected={props.preset.is_none() && props.lenet_choice.is_none()} disabled=true>{"custom"}</option>
                        { for Preset::ALL.iter().map(|p| html! {
                            <option value={p.key()} selected={props.preset == Some(*p)}>{ p.label() }</option>
                        }) }
                        { for props.lenet.iter().map(|(model, load)| {
                            let status = match load {
                                LenetLoad::Loading => " (loading…)",
                                LenetLoad::Failed(_) => " (unavailable)",
                                LenetLoad::Ready(_) => "",
                            };
                            let ready = matches!(load, LenetLoad::Ready(_));
                            // The file says how many filters there are; until it is read,
                            // one placeholder (disabled) stands for them.
                            let count = match load {
                                LenetLoad::Ready(f) => f.count(),
                                _ => 1,
                            };
                            html! {
                                <optgroup label={format!("LeNet conv1, learned on {}{status}", model.dataset())}>
                                    { for (0..count).map(|f| {
                                        let selected = props.lenet_choice.is_some_and(|c| c.model == *model && c.filter == f);
                                        html! {
                                            <option value={LenetChoice::key(*model, f)} disabled={!ready} {selected}>
                                                { format!("{}{status}", model.label(f)) }
                                            </option>
                                        }
                                    }) }
                                </optgroup>
                            }
                        }) }
                    </select>
                </label>
                <label class="field">
                    <span class="field-label"><strong>{"F"}</strong><span class="muted">{" kernel size"}</span></span>
                    <select data-testid="kernel-size" onchange={on_size}>
                        { for (1..=MAX_KERNEL).map(|n| html! {
                            <option value={n.to_string()} selected={n == k.size}>{ format!("{n}×{n}") }</option>
                        }) }
                    </select>
                </label>
            </div>
            { for props.lenet.iter().map(|(model, load)| match load {
                LenetLoad::Loading => html! {
                    <p class="pending small" role="status" data-testid={format!("lenet-loading-{}", model.key())}>
                        { format!("loading the {} LeNet's filters ({})…", model.dataset(), model.url()) }
                    </p>
                },
                LenetLoad::Failed(message) => html! {
                    <p class="error small" role="alert" data-testid={format!("lenet-error-{}", model.key())}>
                        { format!("The {} LeNet's filters are unavailable: {message}.", model.dataset()) }
                    </p>
                },
                LenetLoad::Ready(_) => html! {},
            }) }
            <div class="kernel-grid" style={format!("grid-template-columns: repeat({}, {})", k.size, cell_width)}
                role="group" aria-label="kernel weights">
                { for (0..k.size * k.size).map(cell) }
            </div>
        </div>
    }
}
