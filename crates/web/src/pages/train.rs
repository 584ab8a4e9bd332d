//! The Train page: write a network (or pick a preset), see its layer table, train it live
//! in its own web worker ([`crate::trainer`]) on MNIST or Fashion-MNIST, and watch it learn
//! — loss and accuracy, the first layer's filters and maps, the confusion matrix, the test
//! images it gets most wrong. The run is saved in the browser after every epoch and on
//! pause; the editor's text and the settings are kept in `localStorage`.

mod charts;
mod confusion;
mod presets;

use std::rc::Rc;

use convscope_core::arch::{Architecture, NetworkReport};
use convscope_core::data::{DatasetKind, IMAGE_SIZE};
use convscope_core::format::{parse_f64, thousands};
use convscope_core::nn::run::{AugmentKind, History, OptimizerKind, Run, Schedule};
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::classify::feature_maps::FeatureMaps;
use super::classify::filters::Filters;
use crate::agent::ConvSummary;
use crate::by_ptr::ByPtr;
use crate::components::MatrixCanvas;
use crate::fetch::blob_bytes;
use crate::handoff::{HandedImage, Handoff};
use crate::lab::classify::ModelChoice;
use crate::lab::classify::layers::MapLayer;
use crate::route::Route;
use crate::storage::local;
use crate::trainer::host::{TrainerEvent, use_trainer};
use crate::trainer::{Snapshot, Status, TrainInput, TrainOutput, TrainSettings, TrainView};
use charts::{HistoryChart, Metric, chart_key};
use confusion::Confusion;
use presets::presets;

const KEY_NETWORK: &str = "convscope.train.network";
const KEY_SETTINGS: &str = "convscope.train.settings";

fn saved_network() -> String {
    local()
        .and_then(|s| s.get_item(KEY_NETWORK).ok().flatten())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| presets()[0].text.clone())
}

fn saved_settings() -> TrainSettings {
    local()
        .and_then(|s| s.get_item(KEY_SETTINGS).ok().flatten())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The snapshot's pictures, made once per snapshot (not on every tick, which copies the
/// page's view): its canvases keep their `Rc`s and are not drawn again until it changes.
#[derive(Debug)]
struct SnapshotPictures {
    input: Rc<Vec<f32>>,
    convs: Option<Rc<Vec<ConvSummary>>>,
    /// Each layer's name and maps.
    maps: Vec<(String, Rc<MapLayer>)>,
}

impl SnapshotPictures {
    fn of(s: &Snapshot) -> Rc<Self> {
        Rc::new(Self {
            input: Rc::new(s.input.clone()),
            convs: s.conv.clone().map(|c| Rc::new(vec![c])),
            maps: s
                .maps
                .iter()
                .filter_map(|o| Some((o.name.clone(), Rc::new(MapLayer::from_output(o).ok()?))))
                .collect(),
        })
    }
}

/// The pixels of the images the network gets most wrong, made once per list.
fn wrong_pictures(v: &TrainView) -> Rc<Vec<Rc<Vec<f32>>>> {
    Rc::new(v.wrong.iter().map(|w| Rc::new(w.pixels.clone())).collect())
}

/// The network text checked as the worker will check it: parsed, evaluated, buildable and
/// trainable on 28×28 images with ten classes at the chosen batch size.
fn check(text: &str, settings: &TrainSettings) -> Result<Rc<NetworkReport>, String> {
    if text.trim().is_empty() {
        return Err(
            "No network yet: write its layers in the text form, such as \
                    'input 28x28x1, flatten, linear 10', or start from a preset."
                .to_owned(),
        );
    }
    let arch = Architecture::parse_description(text).map_err(|e| e.to_string())?;
    let report = arch.evaluate().map_err(|e| e.to_string())?;
    Run::new(&arch, settings.run, settings.train_images).map_err(|e| e.to_string())?;
    Ok(Rc::new(report))
}

/// Whether a run trains, loads its data or is paused: the page's network and settings are
/// then the run's.
fn active(status: &Status) -> bool {
    matches!(
        status,
        Status::Running | Status::Loading { .. } | Status::Paused
    )
}

/// Makes the page's network and settings the worker's run's while it is [`active`]: a run
/// continued from a file (its own network and dataset) or restored paused after a reload
/// shows what it trains, not what was typed before. A text that describes the same network
/// is left as typed.
fn follow_run(
    v: &TrainView,
    text: &UseStateHandle<String>,
    settings: &UseStateHandle<TrainSettings>,
) {
    if !active(&v.status) || v.network.is_empty() {
        return;
    }
    let typed = Architecture::parse_description(text).map(|a| a.to_text());
    if typed.ok().as_deref() != Some(v.network.as_str()) {
        text.set(v.network.clone());
    }
    if **settings != v.settings {
        settings.set(v.settings);
    }
}

fn value_of(e: &Event) -> String {
    e.target()
        .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn download(bytes: &[u8], name: &str) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlElement = doc
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not an element")?;
    a.set_attribute("href", &url)
        .map_err(|e| format!("{e:?}"))?;
    a.set_attribute("download", name)
        .map_err(|e| format!("{e:?}"))?;
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// What the weights asked from the worker are for.
#[derive(Debug, Default)]
enum ExportFor {
    /// A `.safetensors` download.
    #[default]
    Download,
    /// The Classify page, with a test image to classify first or not.
    Classify(Option<HandedImage>),
}

/// Hands the weights (and an image) to the Classify page and opens it on them.
fn open_in_classify(handoff: &Handoff, bytes: Vec<u8>, image: Option<HandedImage>) {
    handoff.give(bytes, image);
    let href = Route::Classify.href_with(&ModelChoice::Trained.to_query().encode());
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&href);
    }
}

/// The Train page.
#[component]
pub fn TrainPage() -> Html {
    let handoff = use_context::<Handoff>().unwrap_or_default();
    let export_for = use_mut_ref(ExportFor::default);
    let text = use_state(saved_network);
    let settings = use_state(saved_settings);
    let view = use_state(|| Rc::new(TrainView::default()));
    // Mirrors of the view's snapshot and mistakes, updated with them (never on a tick).
    let snapshot_pictures = use_state(|| None::<Rc<SnapshotPictures>>);
    let wrong_pixels = use_state(|| wrong_pictures(&TrainView::default()));
    let file_error = use_state(|| None::<String>);
    // The worker answered (after reading any saved run): until then Start waits, so that a
    // run restored after a reload is not replaced unseen.
    let connected = use_state(|| false);
    let bridge = {
        let (text, settings) = (text.clone(), settings.clone());
        let view = view.clone();
        let (snapshot_pictures, wrong_pixels) = (snapshot_pictures.clone(), wrong_pixels.clone());
        let file_error = file_error.clone();
        let connected = connected.clone();
        let export_for = export_for.clone();
        use_trainer(move |event| match event {
            TrainerEvent::Output(TrainOutput::View(v)) => {
                follow_run(&v, &text, &settings);
                snapshot_pictures.set(v.snapshot.as_ref().map(SnapshotPictures::of));
                wrong_pixels.set(wrong_pictures(&v));
                view.set(Rc::new(*v));
                connected.set(true);
            }
            TrainerEvent::Output(TrainOutput::Tick(t)) => {
                let mut v = (**view).clone();
                v.history.points.extend_from_slice(&t.points);
                v.tick = Some(t);
                view.set(Rc::new(v));
            }
            TrainerEvent::Output(TrainOutput::Snapshot(s)) => {
                snapshot_pictures.set(Some(SnapshotPictures::of(&s)));
                let mut v = (**view).clone();
                v.snapshot = Some(*s);
                view.set(Rc::new(v));
            }
            TrainerEvent::Output(TrainOutput::Weights(Ok(bytes))) => {
                match std::mem::take(&mut *export_for.borrow_mut()) {
                    ExportFor::Download => {
                        if let Err(e) = download(&bytes, "convscope-trained.safetensors") {
                            file_error.set(Some(format!("the download failed: {e}")));
                        }
                    }
                    ExportFor::Classify(image) => open_in_classify(&handoff, bytes, image),
                }
            }
            TrainerEvent::Output(TrainOutput::Weights(Err(e))) => file_error.set(Some(e)),
            TrainerEvent::Failed(e) => file_error.set(Some(e)),
        })
    };
    {
        let bridge = bridge.clone();
        use_effect_with((), move |()| bridge.send(TrainInput::Connect));
    }
    {
        use_effect_with(((*text).clone(), *settings), |(t, s)| {
            if let Some(st) = local() {
                let _ = st.set_item(KEY_NETWORK, t);
                if let Ok(json) = serde_json::to_string(s) {
                    let _ = st.set_item(KEY_SETTINGS, &json);
                }
            }
        });
    }
    let checked = use_memo(((*text).clone(), *settings), |(t, s)| check(t, s));

    let v = &**view;
    // The charts' history, shared once per view the worker sent (never compared point by
    // point), and the settings' callback, made once.
    let history = use_memo(ByPtr((*view).clone()), |v| Rc::new(v.history.clone()));
    let on_settings = use_callback(settings.setter(), |s: TrainSettings, set| set.set(s));
    // While a run trains, loads or is paused, the network and settings are its own (see
    // `follow_run`): Resume goes on with them, so they are not edited (Stop or Reset
    // first, then Start a new run).
    let locked = active(&v.status);
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(value_of(&e)))
    };
    let on_preset = {
        let text = text.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(p) = presets().into_iter().find(|p| p.key == select.value()) {
                text.set(p.text);
            }
            select.set_value("");
        })
    };
    let send = |input: TrainInput| {
        let bridge = bridge.clone();
        Callback::from(move |_: MouseEvent| bridge.send(input.clone()))
    };
    let on_start = {
        let (bridge, text, settings) = (bridge.clone(), text.clone(), settings.clone());
        Callback::from(move |_: MouseEvent| {
            bridge.send(TrainInput::Start {
                network: (*text).clone(),
                settings: *settings,
            });
        })
    };
    let on_continue_file = {
        let (bridge, settings, file_error) = (bridge.clone(), settings.clone(), file_error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|l| l.get(0)) else {
                return;
            };
            input.set_value("");
            let (bridge, settings, file_error) = (bridge.clone(), *settings, file_error.clone());
            spawn_local(async move {
                match blob_bytes(&file).await {
                    Ok(bytes) => {
                        file_error.set(None);
                        bridge.send(TrainInput::Continue { bytes, settings });
                    }
                    Err(e) => file_error.set(Some(e)),
                }
            });
        })
    };
    // Asks the worker for the weights as they stand, for a download or the Classify page.
    let export = {
        let (bridge, file_error, export_for) =
            (bridge.clone(), file_error.clone(), export_for.clone());
        Callback::from(move |purpose: ExportFor| {
            file_error.set(None);
            *export_for.borrow_mut() = purpose;
            bridge.send(TrainInput::Export);
        })
    };
    let on_export = export.reform(|_: MouseEvent| ExportFor::Download);
    let on_classify = export.reform(|_: MouseEvent| ExportFor::Classify(None));

    let editor = html! {
        <section class="panel train-network" aria-labelledby="train-network-title">
            <h3 id="train-network-title">{"The network"}</h3>
            <label class="field">
                <span>{"Start from a preset"}</span>
                <select onchange={on_preset} data-testid="train-preset" disabled={locked}>
                    <option value="" selected=true>{"choose…"}</option>
                    { for presets().into_iter().map(|p| html! { <option value={p.key}>{ p.label }</option> }) }
                </select>
            </label>
            <label class="field field-wide">
                <span>{"Layers, in the text form (commas between layers)"}</span>
                <textarea rows="4" spellcheck="false" value={(*text).clone()} oninput={on_text}
                    disabled={locked} data-testid="train-text"
                    aria-invalid={if checked.is_err() { "true" } else { "false" }}
                    aria-describedby="train-check" />
            </label>
            <div id="train-check" aria-live="polite">
                { match &*checked {
                    Ok(report) => layer_table(report),
                    Err(e) => html! { <p class="error" role="alert" data-testid="train-error">{ e.clone() }</p> },
                } }
            </div>
        </section>
    };

    let controls = {
        let valid = checked.is_ok() && settings.check_images().is_ok();
        let can_start = valid && !locked && *connected;
        html! {
            <div class="train-controls" role="group" aria-label="Training">
                <button type="button" class="primary" onclick={on_start} disabled={!can_start}
                    data-testid="train-start"
                    title={if v.status == Status::Paused { "Stop or reset the paused run first" } else if valid { "Train this network from scratch" } else { "Fix the network and the settings first" }}>
                    {"Start"}
                </button>
                <button type="button" onclick={send(TrainInput::Pause)} disabled={v.status != Status::Running} data-testid="train-pause">{"Pause"}</button>
                <button type="button" onclick={send(TrainInput::Resume)} disabled={v.status != Status::Paused} data-testid="train-resume">{"Resume"}</button>
                <button type="button" onclick={send(TrainInput::Stop)} disabled={!matches!(v.status, Status::Running | Status::Paused)} data-testid="train-stop">{"Stop"}</button>
                <button type="button" onclick={send(TrainInput::Reset)} disabled={v.status == Status::Idle} data-testid="train-reset">{"Reset"}</button>
                <button type="button" onclick={on_export} disabled={!v.status.has_run()} data-testid="train-download">{"Download .safetensors"}</button>
                <button type="button" onclick={on_classify} disabled={!v.status.has_run()} data-testid="train-classify"
                    title="Open the Classify page on this network: draw, upload or pick images and see its feature maps">
                    {"Classify with this network"}
                </button>
                <label class="file-button">
                    <span>{"Continue from a .safetensors file…"}</span>
                    <input type="file" accept=".safetensors" onchange={on_continue_file} disabled={locked} data-testid="train-load" />
                </label>
                if let Some(e) = &*file_error {
                    <p class="error" role="alert" data-testid="train-file-error">{ e.clone() }</p>
                }
            </div>
        }
    };

    html! {
        <section class="page train-page" aria-labelledby="page-title" data-testid="train-page"
            data-connected={if *connected { "true" } else { "false" }}>
            <h2 id="page-title">{"Train"}</h2>
            <p class="lead">
                {"Write a network, train it here — in a web worker of its own, by the same Rust core as the command line — and watch it learn. \
                  The run is saved in this browser after every epoch and when paused: a reload comes back to it."}
            </p>
            <div class="train-top">
                { editor }
                <SettingsForm settings={*settings} disabled={locked} on_change={on_settings} />
            </div>
            { controls }
            <StatusLine view={ByPtr((*view).clone())} />
            { progress_view(v, &history, (*snapshot_pictures).as_deref(), &wrong_pixels, &export) }
        </section>
    }
}

fn layer_table(report: &NetworkReport) -> Html {
    let rows = report.layers.iter().map(|l| {
        html! {
            <tr data-testid="train-layer">
                <td><code>{ l.lecture_line() }</code></td>
                <td class="num">{ l.output_label() }</td>
                <td class="num">{ thousands(l.params) }</td>
                <td class="num">{ thousands(l.macs) }</td>
            </tr>
        }
    });
    let t = &report.totals;
    html! {
        <div class="table-scroll">
        <table class="train-layers" data-testid="train-layers">
            <caption>{ format!("{} layer{} on a {} input: every figure from the core's evaluation",
                report.layers.len(), if report.layers.len() == 1 { "" } else { "s" }, report.input) }</caption>
            <thead><tr><th scope="col">{"Layer"}</th><th scope="col" class="num">{"Output"}</th><th scope="col" class="num">{"Parameters"}</th><th scope="col" class="num">{"MACs"}</th></tr></thead>
            <tbody>{ for rows }</tbody>
            <tfoot><tr><th scope="row">{"Total"}</th><td class="num">{ t.output.to_string() }</td>
                <td class="num" data-testid="train-params">{ thousands(t.params) }</td><td class="num">{ thousands(t.macs) }</td></tr></tfoot>
        </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct SettingsFormProps {
    settings: TrainSettings,
    disabled: bool,
    on_change: Callback<TrainSettings>,
}

#[component]
fn SettingsForm(props: &SettingsFormProps) -> Html {
    let s = props.settings;
    let field = |label: &'static str,
                 testid: &'static str,
                 value: String,
                 step: &'static str,
                 apply: fn(&mut TrainSettings, f64)| {
        let on_change = props.on_change.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(x) = parse_f64(input.value().trim())
                && x >= 0.0
            {
                let mut next = s;
                apply(&mut next, x);
                on_change.emit(next);
            }
        });
        html! {
            <label class="field">
                <span>{ label }</span>
                <input type="number" min="0" {step} value={value} {oninput} disabled={props.disabled} data-testid={testid} />
            </label>
        }
    };
    let select = |label: &'static str,
                  testid: &'static str,
                  current: &'static str,
                  options: &[(&'static str, &'static str)],
                  apply: fn(&mut TrainSettings, &str)| {
        let on_change = props.on_change.clone();
        let onchange = Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let mut next = s;
            apply(&mut next, &sel.value());
            on_change.emit(next);
        });
        html! {
            <label class="field">
                <span>{ label }</span>
                <select {onchange} disabled={props.disabled} data-testid={testid}>
                    { for options.iter().map(|(k, l)| html! { <option value={*k} selected={*k == current}>{ *l }</option> }) }
                </select>
            </label>
        }
    };
    html! {
        <section class="panel train-settings" aria-labelledby="train-settings-title">
            <h3 id="train-settings-title">{"Data and training"}</h3>
            <div class="train-fields">
                { select("Data", "train-dataset", s.run.dataset.name(), &[("mnist", "MNIST digits (8,000 train / 2,000 test)"), ("fashion", "Fashion-MNIST (60,000 / 10,000)")],
                    |t, v| t.set_dataset(v.parse().unwrap_or(DatasetKind::Mnist))) }
                { field("Training images", "train-subset", s.train_images.to_string(), "500", |t, x| t.train_images = x as usize) }
                { field("Test images", "train-test-images", s.test_images.to_string(), "500", |t, x| t.test_images = x as usize) }
                { field("Epochs", "train-epochs", s.run.epochs.to_string(), "1", |t, x| t.run.epochs = x as u32) }
                { field("Batch size", "train-batch", s.run.batch.to_string(), "1", |t, x| t.run.batch = x as usize) }
                { select("Optimizer", "train-optimizer", match s.run.optimizer { OptimizerKind::Adam => "adam", OptimizerKind::Sgd => "sgd" },
                    &[("adam", "Adam"), ("sgd", "SGD, momentum 0.9")],
                    |t, v| t.run.optimizer = if v == "sgd" { OptimizerKind::Sgd } else { OptimizerKind::Adam }) }
                { field("Learning rate", "train-lr", s.run.lr.to_string(), "0.0001", |t, x| t.run.lr = x as f32) }
                { select("Schedule", "train-schedule", match s.run.schedule { Schedule::Constant => "constant", Schedule::Cosine => "cosine" },
                    &[("constant", "constant"), ("cosine", "cosine decay")],
                    |t, v| t.run.schedule = if v == "cosine" { Schedule::Cosine } else { Schedule::Constant }) }
                { field("Weight decay", "train-decay", s.run.weight_decay.to_string(), "0.0001", |t, x| t.run.weight_decay = x as f32) }
                { select("Augmentation", "train-augment", match s.run.augment { None => "none", Some(AugmentKind::Basic) => "basic", Some(AugmentKind::Robust) => "robust" },
                    &[("none", "none"), ("basic", "basic: shifts, rotations, scalings (flips for clothes)"), ("robust", "robust: handwriting as people write it (digits)")],
                    |t, v| t.run.augment = match v { "basic" => Some(AugmentKind::Basic), "robust" => Some(AugmentKind::Robust), _ => None }) }
                { field("Seed", "train-seed", s.run.seed.to_string(), "1", |t, x| t.run.seed = x as u64) }
            </div>
            if let Err(e) = s.check_images() {
                <p class="error" role="alert" data-testid="train-settings-error">{ e }</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct StatusLineProps {
    view: ByPtr<TrainView>,
}

#[component]
fn StatusLine(props: &StatusLineProps) -> Html {
    let v = &*props.view;
    let (label, bar) = match &v.status {
        Status::Idle => ("Ready: choose a network and press Start.".to_owned(), None),
        Status::Loading { what, done, total } => (
            format!("Fetching {what}: file {done} of {total}"),
            Some((*done as f64, (*total).max(1) as f64)),
        ),
        Status::Running | Status::Paused | Status::Finished | Status::Stopped => {
            let word = match v.status {
                Status::Running => "Training",
                Status::Paused => "Paused",
                Status::Finished => "Finished",
                _ => "Stopped",
            };
            match &v.tick {
                Some(t) => {
                    let epoch =
                        (t.epochs_done + u32::from(t.position > 0)).clamp(1, t.epochs.max(1));
                    // Between epochs (and when finished) the running figures restart at
                    // zero: the last whole epoch's are shown instead.
                    let (position, loss, accuracy, speed, over) = match v.history.epochs.last() {
                        Some(e) if t.position == 0 => (
                            t.train_len,
                            e.train_loss,
                            e.train_accuracy,
                            e.images_per_second,
                            format!("epoch {}", e.epoch),
                        ),
                        _ => (
                            t.position,
                            t.loss,
                            t.accuracy,
                            t.images_per_second,
                            "this epoch so far".to_owned(),
                        ),
                    };
                    // A run restored after a reload has no speed until it trains again.
                    let speed = if speed > 0.0 {
                        format!("{} images/s", thousands(speed.round() as u64))
                    } else {
                        "no speed yet".to_owned()
                    };
                    (
                        format!(
                            "{word} · epoch {epoch} of {} · step {} · image {} of {} · training loss {:.4} · training accuracy {:.2}\u{a0}% ({over}) · {speed} · lr {:.2e}",
                            t.epochs,
                            thousands(t.step),
                            thousands(position as u64),
                            thousands(t.train_len as u64),
                            loss,
                            accuracy * 100.0,
                            t.lr
                        ),
                        Some((
                            f64::from(t.epochs_done) * t.train_len as f64 + t.position as f64,
                            f64::from(t.epochs) * t.train_len as f64,
                        )),
                    )
                }
                None => (word.to_owned(), None),
            }
        }
        Status::Failed(e) => (format!("The run failed: {e}"), None),
    };
    let failed = matches!(v.status, Status::Failed(_));
    html! {
        <div class="train-status">
            if let Some(n) = &v.notice {
                <p class="notice" role="status" data-testid="train-notice">{ n.clone() }</p>
            }
            <p class={classes!("status-line", failed.then_some("error"))} aria-live="polite" data-testid="train-status">{ label }</p>
            if let Some((done, total)) = bar {
                <progress max={total.to_string()} value={done.to_string()} data-testid="train-progress" />
            }
            if let Some(d) = &v.data_source {
                <p class="muted small" data-testid="train-data-source">{ d.clone() }</p>
            }
        </div>
    }
}

fn progress_view(
    v: &TrainView,
    history: &Rc<History>,
    pictures: Option<&SnapshotPictures>,
    wrong_pixels: &[Rc<Vec<f32>>],
    export: &Callback<ExportFor>,
) -> Html {
    if v.history.points.is_empty() && v.snapshot.is_none() {
        return html! {};
    }
    let epochs = v.settings.run.epochs;
    let last = v.history.epochs.last();
    let epochs_table = (!v.history.epochs.is_empty()).then(|| {
        let rows = v.history.epochs.iter().map(|e| html! {
            <tr data-testid="train-epoch-row">
                <td>{ e.epoch }</td>
                <td class="num">{ format!("{:.4}", e.train_loss) }</td>
                <td class="num">{ format!("{:.2} %", e.train_accuracy * 100.0) }</td>
                <td class="num">{ format!("{:.4}", e.test_loss) }</td>
                <td class="num" data-testid="train-test-accuracy">{ format!("{:.2} %", e.test_accuracy * 100.0) }</td>
                <td class="num">{ format!("{:.1} s", e.seconds) }</td>
                <td class="num">{ thousands(e.images_per_second.round() as u64) }</td>
            </tr>
        });
        html! {
            <div class="table-scroll">
            <table class="train-epochs" data-testid="train-epoch-table">
                <caption>{"Every epoch: training figures over its batches, test figures after it"}</caption>
                <thead><tr><th scope="col">{"Epoch"}</th><th scope="col" class="num">{"Train loss"}</th><th scope="col" class="num">{"Train acc."}</th>
                    <th scope="col" class="num">{"Test loss"}</th><th scope="col" class="num">{"Test acc."}</th><th scope="col" class="num">{"Time"}</th><th scope="col" class="num">{"Images/s"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            </div>
        }
    });
    let snapshot = v.snapshot.as_ref().zip(pictures).map(|(s, p)| {
        let filters = p.convs.clone().map(|convs| html! { <Filters convs={ByPtr(convs)} /> });
        let maps = p.maps.iter().map(|(name, layer)| {
            html! {
                <FeatureMaps title={AttrValue::from(format!("{name}: {} maps of {}×{}", layer.planes.len(), layer.rows, layer.cols))}
                    layer={ByPtr::of(layer)} testid={AttrValue::from(format!("train-map-{name}"))} size={64.0} />
            }
        });
        html! {
            <section class="panel train-snapshot" aria-labelledby="train-snapshot-title" data-testid="train-snapshot">
                <h3 id="train-snapshot-title">{ format!("The first layer at step {}", thousands(s.step)) }</h3>
                <p class="hint">{ if p.convs.is_some() {
                    "Redrawn every 200 steps: watch the filters turn into edge and stroke detectors."
                } else {
                    "This network starts without a convolution: there are no filters to draw, only the test image it reads (and a first layer's maps, if it has any)."
                } }</p>
                <div class="train-snapshot-row">
                    <figure class="fmap">
                        <MatrixCanvas values={p.input.clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={84.0} label="the fixed test image" />
                        <figcaption>{"input"}</figcaption>
                    </figure>
                    { for filters }
                </div>
                { for maps }
            </section>
        }
    });
    let confusion = last.map(|e| html! {
        <section class="panel" aria-labelledby="train-confusion-title">
            <h3 id="train-confusion-title">{"Confusion matrix"}</h3>
            <Confusion matrix={e.confusion.clone()} classes={v.class_names.clone()} epoch={e.epoch} />
        </section>
    });
    let wrong = (!v.wrong.is_empty()).then(|| {
        let name = |i: usize| v.class_names.get(i).cloned().unwrap_or_else(|| i.to_string());
        let items = v.wrong.iter().zip(wrong_pixels).map(|(w, pixels)| {
            let m = w.mistake;
            // The core's formatter; a no-break space keeps the number and its % on one line.
            let sure = convscope_core::format::probability(m.confidence).replace(' ', "\u{a0}");
            let caption = format!("{} taken for {} ({sure})", name(m.truth), name(m.predicted));
            let image = HandedImage {
                pixels: w.pixels.clone(),
                label: m.truth,
                dataset: v.settings.run.dataset,
            };
            let on_classify = export.reform(move |_: MouseEvent| ExportFor::Classify(Some(image.clone())));
            html! {
                <figure class="fmap" data-testid="train-wrong"
                    data-predicted={name(m.predicted)} data-confidence={format!("{:.4}", m.confidence)}>
                    <MatrixCanvas values={pixels.clone()} rows={IMAGE_SIZE} cols={IMAGE_SIZE} size={64.0} label={AttrValue::from(caption.clone())} />
                    <figcaption>{ caption }</figcaption>
                    <button type="button" class="link-button" onclick={on_classify} data-testid="train-wrong-classify"
                        aria-label={format!("Classify this {} with the trained network", name(m.truth))}>
                        {"Classify it"}
                    </button>
                </figure>
            }
        });
        html! {
            <section class="panel" aria-labelledby="train-wrong-title">
                <h3 id="train-wrong-title">{"The test images it gets most wrong"}</h3>
                <p class="muted">{"As the network stood at the end of the last epoch. \"Classify it\" opens the image on the Classify page with the network as it stands now: its feature maps and the convolution behind every pixel show why."}</p>
                <div class="train-wrong">{ for items }</div>
            </section>
        }
    });
    html! {
        <>
            <section class="panel train-charts" aria-label="Learning curves">
                { chart_key() }
                <HistoryChart metric={Metric::Loss} history={ByPtr::of(history)} epochs={epochs} />
                <HistoryChart metric={Metric::Accuracy} history={ByPtr::of(history)} epochs={epochs} />
            </section>
            { epochs_table.unwrap_or_default() }
            { snapshot.unwrap_or_default() }
            <div class="train-bottom">
                { confusion.unwrap_or_default() }
                { wrong.unwrap_or_default() }
            </div>
        </>
    }
}
