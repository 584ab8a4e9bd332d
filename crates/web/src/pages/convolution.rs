//! The convolution lab (`#/convolution`): a kernel sliding over an image step by step, the
//! products and their sum, the activation, the output volume and the calculator. Every
//! frame is drawn from the core's [`convscope_core::ConvTrace`].

use std::rc::Rc;

use convscope_core::{ConvStep, CoreError, Stepper};
use ndarray::{Array3, Axis};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::components::{
    ActivationPlot, Calculator, KernelEditor, Legend, MatrixCanvas, NumberField, PlayerControls,
    ProductsGrid, VolumeFormula, channel_name,
};
use crate::hooks::{LabKey, initial_query, use_interval, use_lab_keys, use_query_sync};
use crate::lab::conv::DRAW_SIZES;
use crate::lab::samples::Dataset;
use crate::lab::{
    ActivationChoice, ColorScale, ConvAction, ConvLab, ConvSettings, InputSource, PlayerAction,
    fmt_num, planes,
};
use crate::route::Route;

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
    let state = use_reducer(|| ConvState(ConvSettings::from_query(&initial_query())));
    let s = &state.0;
    use_query_sync(Route::Convolution, s.to_query());
    let views = use_memo(compute_key(s), |k| {
        if k.transposed { None } else { Some(views(k)) }
    });
    let transposed = use_memo(compute_key(s), |k| {
        k.transposed.then(|| k.build_transposed())
    });

    let on_player = {
        let state = state.clone();
        Callback::from(move |a: PlayerAction| state.dispatch(ConvAction::Player(a)))
    };
    {
        let on_player = on_player.clone();
        use_lab_keys(Callback::from(move |k: LabKey| {
            on_player.emit(match k {
                LabKey::Back => PlayerAction::Back,
                LabKey::Forward => PlayerAction::Forward,
                LabKey::TogglePlay => PlayerAction::TogglePlay,
                LabKey::First => PlayerAction::First,
                LabKey::Last => PlayerAction::Last,
            })
        }));
    }
    {
        let on_player = on_player.clone();
        use_interval(
            s.player.playing,
            s.player.period_ms(),
            Callback::from(move |()| on_player.emit(PlayerAction::Tick)),
        );
    }

    let controls = controls(&state);
    let stage = match (&*views, &*transposed) {
        (Some(Ok(v)), _) => stage(&state, v),
        (Some(Err(e)), _) => html! {
            <section class="panel stage-error" role="alert" data-testid="lab-error">
                <h3>{"This layer cannot run"}</h3>
                <p class="error">{ format!("{e}.") }</p>
                <p>{"The output-volume panel below says which term fails and the nearest values that work."}</p>
            </section>
        },
        (None, Some(r)) => transposed_stage(s, r),
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

fn controls(state: &UseReducerHandle<ConvState>) -> Html {
    let s = &state.0;
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
    let mut sources = vec![InputSource::Lecture, InputSource::Drawn, InputSource::Rgb];
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
                        on_preset={{ let state = state.clone(); Callback::from(move |p| state.dispatch(ConvAction::Preset(p))) }} />
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
    let outputs = v.pre.iter().enumerate().map(|(kk, values)| {
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
                    focus={(kk == k).then_some([oy, ox])} scale={v.pre_scale}
                    label={format!("convolved feature {kk}, {h2}×{w2}: click a cell to jump to its step")}
                    testid={format!("output-canvas-{kk}")} on_cell={on_cell} max_size={260.0} />
                <p class="map-caption">{ if v.pre.len() > 1 { format!("filter {kk}") } else { "convolved feature".into() } }</p>
            </div>
        }
    });
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
                        <div class="maps stack">{ for outputs }</div>
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

fn transposed_stage(s: &ConvSettings, r: &Result<Array3<f32>, CoreError>) -> Html {
    match r {
        Err(e) => html! {
            <section class="panel stage-error" role="alert" data-testid="lab-error">
                <h3>{"This transposed convolution cannot run"}</h3>
                <p class="error">{ format!("{e}.") }</p>
            </section>
        },
        Ok(out) => {
            let input = s.input_tensor().index_axis_move(Axis(0), 0);
            let ins = planes(&input);
            let outs = planes(out);
            let in_scale = ColorScale::fit(input.iter());
            let out_scale = ColorScale::fit(out.iter());
            let (_, h1, w1) = input.dim();
            let (_, h2, w2) = out.dim();
            html! {
                <section class="panel stage" data-testid="transposed-stage">
                    <h3>{"Transposed convolution"}</h3>
                    <p class="muted">{"Each input cell scatters a copy of the kernel, scaled by its value, S cells apart; overlapping copies add up. The core's conv_transpose2d computes the result (no step-by-step trace for this mode)."}</p>
                    <div class="stage-grid two">
                        <div class="stage-col">
                            <h3>{ format!("Input {w1}×{h1}×{}", ins.len()) }</h3>
                            <div class="maps">{ for ins.iter().enumerate().map(|(c, v)| html! {
                                <MatrixCanvas values={v.clone()} rows={h1} cols={w1} scale={in_scale}
                                    label={format!("input channel {c}")} testid={format!("t-input-{c}")} />
                            }) }</div>
                        </div>
                        <div class="stage-col">
                            <h3 data-testid="transposed-dims">{ format!("Output {w2}×{h2}×{}", outs.len()) }</h3>
                            <div class="maps">{ for outs.iter().enumerate().map(|(c, v)| html! {
                                <MatrixCanvas values={v.clone()} rows={h2} cols={w2} scale={out_scale}
                                    label={format!("output map {c}")} testid={format!("t-output-{c}")}
                                    max_size={400.0} />
                            }) }</div>
                            <Legend scale={out_scale} />
                        </div>
                    </div>
                </section>
            }
        }
    }
}
