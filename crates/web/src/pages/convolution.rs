//! The convolution lab (`#/convolution`): a kernel sliding over an image step by step, the
//! products and their sum, the activation, the output volume and the calculator. Every
//! frame is drawn from the core's [`convscope_core::ConvTrace`] (in transposed mode, from
//! its [`convscope_core::ConvTransposeTrace`]).
//!
//! The input may be the user's own image (uploaded, dropped or pasted; decoded in the web
//! worker and kept in `localStorage`), and the kernel one of the shipped LeNet's learned
//! conv1 filters (read from `models/lenet-*.safetensors` by the worker).

use std::rc::Rc;

use convscope_core::{ConvStep, CoreError, Stepper};
use ndarray::Axis;
use web_sys::HtmlSelectElement;
use yew::platform::spawn_local;
use yew::prelude::*;
use yew_agent::oneshot::use_oneshot_runner;

use crate::agent::{CoreReply, CoreRequest, CoreTask, Decoded};
use crate::components::{
    ActivationPlot, Calculator, KernelEditor, Legend, MatrixCanvas, NumberField, PlayerControls,
    ProductsGrid, UploadPanel, VolumeFormula, channel_name,
};
use crate::fetch::fetch_bytes;
use crate::hooks::{initial_query, use_hash_query, use_player_drive, use_query_sync};
use crate::lab::conv::{DRAW_SIZES, TransposedError, transposed_display_step};
use crate::lab::lenet::{Conv1Filters, LenetLoad, LenetModel, LenetPresets};
use crate::lab::samples::Dataset;
use crate::lab::upload::{STORAGE_KEY, Upload};
use crate::lab::{
    ActivationChoice, ColorScale, ConvAction, ConvLab, ConvSettings, InputSource, PlayerAction,
    TransposedLab, fmt_num, planes,
};
use crate::route::Route;
use crate::storage::local;

/// The reducer state: the lab's settings.
#[derive(Debug, Clone, PartialEq)]
struct ConvState(ConvSettings);

impl Reducible for ConvState {
    type Action = ConvAction;
    fn reduce(self: Rc<Self>, action: ConvAction) -> Rc<Self> {
        let mut s = self.0.clone();
        s.apply(action);
        Rc::new(ConvState(s))
    }
}

/// The LeNet presets' load states.
#[derive(Debug, Clone, PartialEq, Default)]
struct LenetState(LenetPresets);

impl Reducible for LenetState {
    type Action = (LenetModel, LenetLoad);
    fn reduce(self: Rc<Self>, (model, load): (LenetModel, LenetLoad)) -> Rc<Self> {
        let mut s = self.0.clone();
        s.set(model, load);
        Rc::new(LenetState(s))
    }
}

/// The upload kept in `localStorage`, if any (or why it cannot be read).
fn stored_upload() -> Option<Result<Upload, String>> {
    let text = local()?.get_item(STORAGE_KEY).ok().flatten()?;
    Some(Upload::from_storage(&text))
}

/// Why the stored upload cannot be read, if it cannot; the entry is then removed, so the
/// notice is shown on this visit only.
fn forget_bad_upload() -> Option<String> {
    let e = stored_upload()?.err()?;
    // Nothing to do if the browser refuses: the notice simply shows again next time.
    if let Some(st) = local() {
        st.remove_item(STORAGE_KEY).ok();
    }
    Some(e)
}

/// Keeps the upload for the next visit.
///
/// # Errors
/// When the browser refuses (no storage, quota exceeded).
fn store_upload(u: &Upload) -> Result<(), String> {
    local()
        .ok_or("this browser offers no localStorage")?
        .set_item(STORAGE_KEY, &u.to_storage())
        .map_err(|e| format!("the browser refused to store it ({e:?})"))
}

/// Fetches one model file and has the worker parse it; its conv1 filters, or why not.
async fn load_lenet(
    runner: &yew_agent::oneshot::UseOneshotRunnerHandle<CoreTask>,
    model: LenetModel,
) -> LenetLoad {
    let bytes = match fetch_bytes(model.url()).await {
        Ok(b) => b,
        Err(e) => return LenetLoad::Failed(e),
    };
    let name = format!("lab-lenet-{}", model.key());
    match runner.run(CoreRequest::LoadModel { name, bytes }).await {
        CoreReply::ModelLoaded(Ok(summary)) => {
            let filters = summary
                .conv("conv1")
                .ok_or_else(|| format!("{} has no conv1", model.url()))
                .and_then(|c| Conv1Filters::new(c.weight.clone(), c.bias.clone()));
            match filters {
                Ok(f) => LenetLoad::Ready(Rc::new(f)),
                Err(e) => LenetLoad::Failed(e),
            }
        }
        CoreReply::ModelLoaded(Err(e)) => LenetLoad::Failed(format!("{}: {e}", model.url())),
        other => LenetLoad::Failed(format!("the worker answered {other:?} to a model load")),
    }
}

/// What the canvases draw, computed once per settings change (not per step).
#[derive(Debug)]
struct Views {
    lab: ConvLab,
    inputs: Vec<Rc<Vec<f32>>>,
    pre: Vec<Rc<Vec<f32>>>,
    post: Vec<Rc<Vec<f32>>>,
    in_scale: ColorScale,
    pre_scale: ColorScale,
    post_scale: ColorScale,
}

fn views(s: &ConvSettings) -> Result<Views, CoreError> {
    let lab = s.build()?;
    let input = lab.input.index_axis(Axis(0), 0).to_owned();
    Ok(Views {
        inputs: planes(&input),
        pre: planes(&lab.pre),
        post: planes(&lab.post),
        in_scale: ColorScale::fit(input.iter()),
        pre_scale: ColorScale::fit(lab.pre.iter()),
        post_scale: ColorScale::fit(lab.post.iter()),
        lab,
    })
}

/// What the transposed stepper draws, computed once per settings change.
#[derive(Debug)]
struct TViews {
    lab: TransposedLab,
    inputs: Vec<Rc<Vec<f32>>>,
    upsampled: Vec<Rc<Vec<f32>>>,
    outputs: Vec<Rc<Vec<f32>>>,
    in_scale: ColorScale,
    out_scale: ColorScale,
}

fn tviews(s: &ConvSettings) -> Result<TViews, TransposedError> {
    let lab = s.build_transposed()?;
    Ok(TViews {
        inputs: planes(&lab.input),
        upsampled: planes(&lab.upsampled),
        outputs: planes(&lab.output),
        in_scale: ColorScale::fit(lab.input.iter()),
        out_scale: ColorScale::fit(lab.output.iter()),
        lab,
    })
}

/// The settings that change what is computed (not the step or the calculator).
fn compute_key(s: &ConvSettings) -> ConvSettings {
    let mut k = s.clone();
    k.player = Default::default();
    k.calc = Default::default();
    k
}

/// The convolution lab page.
#[component]
pub fn ConvolutionPage() -> Html {
    // The stored upload first, then the URL (which may choose it as the input).
    let state = use_reducer(|| {
        let mut s = ConvSettings::default();
        if let Some(Ok(u)) = stored_upload() {
            s.apply(ConvAction::RestoreUpload(u));
        }
        s.apply(ConvAction::Query(initial_query()));
        ConvState(s)
    });
    let storage_note = use_state(|| {
        forget_bad_upload()
            .map(|e| format!("The image uploaded earlier could not be restored: {e}."))
    });
    let s = &state.0;
    use_query_sync(Route::Convolution, s.to_query());
    {
        let state = state.clone();
        use_hash_query(
            Route::Convolution,
            Callback::from(move |q: String| state.dispatch(ConvAction::Query(q))),
        );
    }
    // Every new upload (and every resize of it) is kept for the next visit.
    {
        let storage_note = storage_note.clone();
        use_effect_with(s.upload.clone(), move |u| {
            if let Some(u) = u
                && let Err(e) = store_upload(u)
            {
                storage_note.set(Some(format!(
                    "Your image is shown but will not survive a reload: {e}."
                )));
            }
        });
    }
    // The LeNet presets: both model files fetched once and parsed by the worker.
    let lenet = use_reducer(LenetState::default);
    {
        let runner = use_oneshot_runner::<CoreTask>();
        let dispatch = lenet.dispatcher();
        use_effect_with((), move |_| {
            for model in LenetModel::ALL {
                let runner = runner.clone();
                let dispatch = dispatch.clone();
                spawn_local(async move {
                    let load = load_lenet(&runner, model).await;
                    dispatch.dispatch((model, load));
                });
            }
        });
    }
    let views = use_memo(compute_key(s), |k| {
        if k.transposed { None } else { Some(views(k)) }
    });
    let transposed = use_memo(compute_key(s), |k| k.transposed.then(|| tviews(k)));

    let on_player = {
        let state = state.clone();
        Callback::from(move |a: PlayerAction| state.dispatch(ConvAction::Player(a)))
    };
    use_player_drive(s.player, on_player.clone());

    let controls = controls(&state, &lenet.0, storage_note.as_deref());
    let stage = match (&*views, &*transposed) {
        (Some(Ok(v)), _) => stage(&state, v),
        (Some(Err(e)), _) => html! {
            <section class="panel stage-error" role="alert" data-testid="lab-error">
                <h3>{"This layer cannot run"}</h3>
                <p class="error">{ format!("{e}.") }</p>
                <p>{"The output-volume panel below says which term fails and the nearest values that work."}</p>
            </section>
        },
        (None, Some(r)) => transposed_stage(&state, r),
        (None, None) => html! {},
    };
    let depth = s.depth();
    let [h, w] = s
        .input_tensor()
        .shape()
        .get(2..4)
        .map_or([0, 0], |d| [d[0], d[1]]);
    html! {
        <section class="page lab" aria-labelledby="page-title">
            <h2 id="page-title">{ Route::Convolution.title() }</h2>
            <p class="lead">{"Watch a kernel slide over an image, one dot product at a time. Every number is computed by the Rust core."}</p>
            { controls }
            { stage }
            <section class="panel" aria-labelledby="volume-title">
                <h3 id="volume-title">{"Output volume"}</h3>
                <VolumeFormula input={[w, h, depth]} kernel={s.kernel.size} params={s.params()}
                    filters={s.filters} transposed={s.transposed} />
            </section>
            <Calculator calc={s.calc.clone()} on_change={{
                let state = state.clone();
                Callback::from(move |(i, v): (usize, String)| state.dispatch(ConvAction::Calc(i, v)))
            }} />
        </section>
    }
}

fn controls(
    state: &UseReducerHandle<ConvState>,
    lenet: &LenetPresets,
    storage_note: Option<&str>,
) -> Html {
    let s = &state.0;
    let on_decoded = {
        let state = state.clone();
        Callback::from(move |d: Decoded| {
            // An error here means the worker broke its own contract (pixel count): nothing
            // the user can fix, so the lab keeps its image.
            if let Ok(u) = Upload::from_decoded(d.original, d.size, &d.pixels) {
                state.dispatch(ConvAction::Uploaded(u));
            }
        })
    };
    let on_resized = {
        let state = state.clone();
        Callback::from(move |d: Decoded| {
            if let Ok(u) = Upload::from_decoded(d.original, d.size, &d.pixels) {
                state.dispatch(ConvAction::RestoreUpload(u));
            }
        })
    };
    let on_upload_size = {
        let state = state.clone();
        Callback::from(move |n: usize| state.dispatch(ConvAction::UploadSize(n)))
    };
    let on_lenet = {
        let state = state.clone();
        let lenet = lenet.clone();
        Callback::from(move |(model, filter)| {
            if let Some((choice, kernel)) = lenet.choose(model, filter) {
                state.dispatch(ConvAction::LenetFilter(choice, kernel));
            }
        })
    };
    let on_input = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(i) = InputSource::from_key(&select.value()) {
                state.dispatch(ConvAction::Input(i));
            }
        })
    };
    let on_activation = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(a) = ActivationChoice::from_key(&select.value()) {
                state.dispatch(ConvAction::Activation(a));
            }
        })
    };
    let on_mode = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            state.dispatch(ConvAction::Transposed(select.value() == "transposed"));
        })
    };
    let mut sources = vec![
        InputSource::Lecture,
        InputSource::Drawn,
        InputSource::Rgb,
        InputSource::Upload,
    ];
    for d in Dataset::ALL {
        sources.extend((0..d.len()).map(|i| InputSource::Sample(d, i)));
    }
    let drawing = (s.input == InputSource::Drawn).then(|| draw_pad(state));
    let hyper = |label: &'static str,
                 hint: &'static str,
                 value: usize,
                 testid: &'static str,
                 f: fn(usize) -> ConvAction| {
        let state = state.clone();
        html! { <NumberField label={label} hint={hint} value={value} testid={testid}
        on_change={Callback::from(move |v: usize| state.dispatch(f(v)))} /> }
    };
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
                    { drawing }
                    <UploadPanel size={s.upload_size}
                        description={s.upload.as_ref().map(|u| AttrValue::from(u.describe()))}
                        on_decoded={on_decoded} on_resized={on_resized} on_size={on_upload_size} />
                    if s.upload_missing() {
                        <p class="notice small" role="status" data-testid="upload-missing">
                            {"No uploaded image is kept in this browser, so the lecture's 5×5 image is shown. Choose, drop or paste an image above."}
                        </p>
                    }
                    if let Some(note) = storage_note {
                        <p class="notice small" role="status" data-testid="upload-storage-note">{ note }</p>
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
                        on_change={{ let state = state.clone(); Callback::from(move |k| state.dispatch(ConvAction::Kernel(k))) }}
                        on_preset={{ let state = state.clone(); Callback::from(move |p| state.dispatch(ConvAction::Preset(p))) }}
                        lenet={lenet.0.clone()} lenet_choice={s.lenet} on_lenet={on_lenet} />
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
                        { hyper("S", "stride", s.stride, "stride", ConvAction::Stride) }
                        { hyper("P", "padding", s.padding, "padding", ConvAction::Padding) }
                        { hyper("D", "dilation", s.dilation, "dilation", ConvAction::Dilation) }
                        { hyper("K", "filters", s.filters, "filters", ConvAction::Filters) }
                        { hyper("g", "groups", s.groups, "groups", ConvAction::Groups) }
                    </div>
                    <p class="muted small">{ format!("D1 = {} (input depth, from the image)", s.depth()) }</p>
                </div>
            </div>
        </section>
    }
}

fn draw_pad(state: &UseReducerHandle<ConvState>) -> Html {
    let s = &state.0;
    let n = s.draw_size;
    let values: Rc<Vec<f32>> =
        Rc::new(s.drawn.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect());
    let on_paint = {
        let state = state.clone();
        Callback::from(move |([y, x], on): ([usize; 2], bool)| {
            state.dispatch(ConvAction::Paint(y * n + x, on));
        })
    };
    let on_size = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(n) = select.value().parse() {
                state.dispatch(ConvAction::DrawSize(n));
            }
        })
    };
    let on_clear = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(ConvAction::ClearDrawing))
    };
    html! {
        <div class="draw-pad">
            <MatrixCanvas values={values} rows={n} cols={n} scale={ColorScale { min: 0.0, max: 1.0, diverging: false }}
                max_size={180.0} max_cell={24.0} label="drawing grid: click a cell to toggle it, drag to paint" testid="draw-pad"
                on_paint={on_paint} />
            <div class="row">
                <label class="field">
                    <span class="field-label"><strong>{"size"}</strong></span>
                    <select data-testid="draw-size" onchange={on_size}>
                        { for DRAW_SIZES.iter().map(|&k| html! {
                            <option value={k.to_string()} selected={k == n}>{ format!("{k}×{k}") }</option>
                        }) }
                    </select>
                </label>
                <button type="button" onclick={on_clear}>{"clear"}</button>
            </div>
            <p class="muted small">{"click a cell to toggle it, drag to paint; the drawing is resampled when the size changes"}</p>
        </div>
    }
}

fn stage(state: &UseReducerHandle<ConvState>, v: &Views) -> Html {
    let s = &state.0;
    let trace = &v.lab.trace;
    let len = trace.len();
    let Ok(step) = trace.step(s.player.step.min(len.saturating_sub(1))) else {
        return html! {};
    };
    let step = Rc::new(step);
    let [k, oy, ox] = step.output;
    let [_, h2, w2] = trace.output_dims();
    let depth = v.inputs.len();
    let [h1, w1] = trace.geometry().input_size();
    let pad = s.padding;
    let window = format!("{},{}", step.window_origin[0], step.window_origin[1]);

    let inputs = v.inputs.iter().enumerate().map(|(c, values)| {
        let taps: Rc<Vec<[isize; 2]>> = Rc::new(step.taps.iter().filter(|t| t.channel == c).map(|t| t.input).collect());
        let name = if depth > 1 { format!("input, {}", channel_name(c, depth)) } else { "input".to_string() };
        html! {
            <div class="map">
                <MatrixCanvas values={values.clone()} rows={h1} cols={w1} pad={pad} taps={taps}
                    scale={v.in_scale} label={format!("{name} {h1}×{w1}, padding {pad}")}
                    max_size={if depth > 1 { 190.0 } else { 300.0 }}
                    testid={if c == 0 { "input-canvas".to_string() } else { format!("input-canvas-{c}") }}
                    window={window.clone()} />
                <p class="map-caption">{ name }</p>
            </div>
        }
    });
    let outputs = output_maps(
        state,
        &FORWARD_MAPS,
        &v.pre,
        v.pre_scale,
        [h2, w2],
        step.output,
    );
    html! {
        <>
            <section class="panel stage" aria-label="Convolution, step by step" data-testid="stage">
                <div class="stage-grid">
                    <div class="stage-col">
                        <h3>{ format!("Image {w1}×{h1}×{depth}") }{ if pad > 0 { format!(", padding {pad}") } else { String::new() } }</h3>
                        <div class="maps">{ for inputs }</div>
                        <Legend scale={v.in_scale} />
                    </div>
                    <div class="stage-col">
                        <h3>{"Window × kernel"}</h3>
                        <ProductsGrid step={step.clone()} kernel={s.kernel.size} depth={depth} />
                        <p class="output-cell">
                            { format!("output ({oy}, {ox})") }{ if v.pre.len() > 1 { format!(" of map {k}") } else { String::new() } }
                            {" = "}<output data-testid="output-value">{ fmt_num(step.pre_activation) }</output>
                        </p>
                    </div>
                    <div class="stage-col">
                        <h3>{ format!("Convolved feature {w2}×{h2}×{}", v.pre.len()) }</h3>
                        <div class="maps stack">{ outputs }</div>
                        <Legend scale={v.pre_scale} />
                    </div>
                </div>
                <PlayerControls player={s.player} len={len} noun="output cell" on_action={{
                    let state = state.clone();
                    Callback::from(move |a| state.dispatch(ConvAction::Player(a)))
                }} />
            </section>
            { activation_panel(s, v, &step) }
        </>
    }
}

/// How a stack of output maps is named and sized (forward and transposed mode differ only
/// in these).
struct MapStack {
    /// The canvas label's noun: "convolved feature 2, 3×3: …".
    label: &'static str,
    /// Map k's test id is `{testid}-{k}`.
    testid: &'static str,
    /// The caption of a lone map.
    single: &'static str,
    /// The caption of map k in a stack: "{each} {k}".
    each: &'static str,
    /// Largest side of a canvas, CSS px.
    max_size: f64,
}

const FORWARD_MAPS: MapStack = MapStack {
    label: "convolved feature",
    testid: "output-canvas",
    single: "convolved feature",
    each: "filter",
    max_size: 260.0,
};

const TRANSPOSED_MAPS: MapStack = MapStack {
    label: "output map",
    testid: "t-output",
    single: "output",
    each: "map",
    max_size: 320.0,
};

/// The output maps `[h2, w2]` as the stepper fills them: maps before the current cell's
/// `[k, y, x]` whole, map k up to the cell (focused), later maps empty. Clicking a cell jumps
/// to its step.
fn output_maps(
    state: &UseReducerHandle<ConvState>,
    names: &MapStack,
    maps: &[Rc<Vec<f32>>],
    scale: ColorScale,
    [h2, w2]: [usize; 2],
    [k, oy, ox]: [usize; 3],
) -> Html {
    let many = maps.len() > 1;
    html! {
        { for maps.iter().enumerate().map(|(kk, values)| {
            let filled = match kk.cmp(&k) {
                std::cmp::Ordering::Less => h2 * w2,
                std::cmp::Ordering::Equal => oy * w2 + ox + 1,
                std::cmp::Ordering::Greater => 0,
            };
            let state = state.clone();
            let on_cell = Callback::from(move |[y, x]: [usize; 2]| state.dispatch(ConvAction::JumpTo([kk, y, x])));
            html! {
                <div class={classes!("map", (kk == k).then_some("current"))}>
                    <MatrixCanvas values={values.clone()} rows={h2} cols={w2} filled={Some(filled)}
                        focus={(kk == k).then_some([oy, ox])} scale={scale}
                        label={format!("{} {kk}, {h2}×{w2}: click a cell to jump to its step", names.label)}
                        testid={format!("{}-{kk}", names.testid)} on_cell={on_cell} max_size={names.max_size} />
                    <p class="map-caption">{ if many { format!("{} {kk}", names.each) } else { names.single.into() } }</p>
                </div>
            }
        }) }
    }
}

fn activation_panel(s: &ConvSettings, v: &Views, step: &ConvStep) -> Html {
    let [k, _, _] = step.output;
    let [_, h2, w2] = v.lab.trace.output_dims();
    let act = s.activation;
    let x = step.pre_activation;
    let detail = match act {
        ActivationChoice::Sigmoid => format!("1 / (1 + exp({})) = ", fmt_num(-x)),
        _ => String::new(),
    };
    html! {
        <section class="panel activation" aria-labelledby="act-title">
            <h3 id="act-title">{"Nonlinearity"}</h3>
            <div class="activation-grid">
                <div>
                    <ActivationPlot activation={act} x={Some(x)} />
                    <p class="muted small">{ act.formula() }</p>
                </div>
                <div>
                    <p class="activation-eq">
                        { format!("{}({}) = {detail}", act.activation().name(), fmt_num(x)) }
                        <output data-testid="activation-value">{ fmt_num(step.value) }</output>
                    </p>
                    <div class="maps">
                        <div class="map">
                            <MatrixCanvas values={v.pre[k].clone()} rows={h2} cols={w2} scale={v.pre_scale}
                                focus={Some([step.output[1], step.output[2]])} max_size={200.0}
                                label="feature map before the activation" testid="pre-activation" />
                            <p class="map-caption">{"before"}</p>
                        </div>
                        <div class="map">
                            <MatrixCanvas values={v.post[k].clone()} rows={h2} cols={w2} scale={v.post_scale}
                                focus={Some([step.output[1], step.output[2]])} max_size={200.0}
                                label={format!("feature map after {}", act.activation().name())} testid="post-activation" />
                            <p class="map-caption">{ format!("after {}", act.activation().name()) }</p>
                        </div>
                    </div>
                    <Legend scale={v.post_scale} />
                </div>
            </div>
        </section>
    }
}

fn transposed_stage(
    state: &UseReducerHandle<ConvState>,
    r: &Result<TViews, TransposedError>,
) -> Html {
    let v = match r {
        Err(e) => {
            return html! {
                <section class="panel stage-error" role="alert" data-testid="lab-error">
                    <h3>{"This transposed convolution cannot run"}</h3>
                    <p class="error">{ format!("{e}.") }</p>
                </section>
            };
        }
        Ok(v) => v,
    };
    let s = &state.0;
    let trace = &v.lab.trace;
    let len = trace.len();
    let Ok(step) = trace.step(s.player.step.min(len.saturating_sub(1))) else {
        return html! {};
    };
    let [k, oy, ox] = step.output;
    let [_, h2, w2] = trace.output_dims();
    let [h1, w1] = trace.geometry().input_size();
    let [uh, uw] = trace.upsampled_size();
    // Square settings: both axes pad alike. A negative padding (P crops more than the
    // kernel spans) needs no ring: every window then starts inside the upsampled input.
    let pad = usize::try_from(trace.upsampled_padding()[0]).unwrap_or(0);
    let depth = v.inputs.len();
    let window = format!("{},{}", step.window_origin[0], step.window_origin[1]);
    let shown = Rc::new(transposed_display_step(&step));
    let channel_taps = |c: usize, upsampled: bool| -> Rc<Vec<[isize; 2]>> {
        Rc::new(
            step.taps
                .iter()
                .filter(|t| t.channel == c)
                .filter_map(|t| {
                    if upsampled {
                        Some(t.upsampled)
                    } else {
                        t.source.map(|[y, x]| [y as isize, x as isize])
                    }
                })
                .collect(),
        )
    };
    let name = |c: usize| {
        if depth > 1 {
            format!(", {}", channel_name(c, depth))
        } else {
            String::new()
        }
    };
    let upsampled = v.upsampled.iter().enumerate().map(|(c, values)| html! {
        <div class="map">
            <MatrixCanvas values={values.clone()} rows={uh} cols={uw} pad={pad} taps={channel_taps(c, true)}
                scale={v.in_scale} max_size={if depth > 1 { 220.0 } else { 320.0 }}
                label={format!("upsampled input{} {uh}×{uw}, padding {pad}: the window over the zero-inserted input", name(c))}
                testid={format!("t-upsampled-{c}")} window={window.clone()} />
            <p class="map-caption">{ format!("upsampled{}", name(c)) }</p>
        </div>
    });
    let inputs = v.inputs.iter().enumerate().map(|(c, values)| html! {
        <div class="map">
            <MatrixCanvas values={values.clone()} rows={h1} cols={w1} taps={channel_taps(c, false)}
                scale={v.in_scale} max_size={160.0}
                label={format!("input{} {h1}×{w1}: the cells this output cell reads", name(c))}
                testid={format!("t-input-{c}")} />
            <p class="map-caption">{ format!("input{}", name(c)) }</p>
        </div>
    });
    let outputs = output_maps(
        state,
        &TRANSPOSED_MAPS,
        &v.outputs,
        v.out_scale,
        [h2, w2],
        step.output,
    );
    html! {
        <section class="panel stage" aria-label="Transposed convolution, step by step" data-testid="transposed-stage">
            <h3>{"Transposed convolution"}</h3>
            <p class="muted">{ format!(
                "Each input cell is spread S = {} cells apart (S − 1 zeros, the \"holes\", between neighbours), the result padded by D·(F − 1) − P = {}; each output cell is then the kernel turned 180° over that grid. Only taps on a real input cell add a product.",
                s.stride, trace.upsampled_padding()[0]) }</p>
            <div class="stage-grid">
                <div class="stage-col">
                    <h3>{ format!("Upsampled input {uw}×{uh}×{depth}") }</h3>
                    <div class="maps">{ for upsampled }</div>
                    <div class="maps">{ for inputs }</div>
                    <Legend scale={v.in_scale} />
                </div>
                <div class="stage-col">
                    <h3>{"Window × kernel"}</h3>
                    <ProductsGrid step={shown} kernel={s.kernel.size} depth={depth} skipped="hole" />
                    <p class="output-cell">
                        { format!("output ({oy}, {ox})") }{ if v.outputs.len() > 1 { format!(" of map {k}") } else { String::new() } }
                        {" = "}<output data-testid="output-value">{ fmt_num(step.value) }</output>
                    </p>
                </div>
                <div class="stage-col">
                    <h3 data-testid="transposed-dims">{ format!("Output {w2}×{h2}×{}", v.outputs.len()) }</h3>
                    <div class="maps stack">{ outputs }</div>
                    <Legend scale={v.out_scale} />
                </div>
            </div>
            <PlayerControls player={s.player} len={len} noun="output cell" on_action={{
                let state = state.clone();
                Callback::from(move |a| state.dispatch(ConvAction::Player(a)))
            }} />
        </section>
    }
}
