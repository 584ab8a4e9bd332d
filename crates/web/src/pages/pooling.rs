//! The pooling lab (`#/pooling`): max, average and sum pooling animated window by window
//! over each depth slice, from the core's [`convscope_core::PoolTrace`]; and the
//! activations drawn, with any value marked.

use std::rc::Rc;

use convscope_core::format::parse_f32;
use convscope_core::{CoreError, PoolKind, PoolStep, Stepper, conv_output_size_explained};
use ndarray::Axis;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::{
    ActivationPlot, Legend, MatrixCanvas, NumberField, PlayerControls, axis_line, channel_name,
};
use crate::hooks::{initial_query, use_hash_query, use_player_drive, use_query_sync};
use crate::lab::pool::KINDS;
use crate::lab::{
    ActivationChoice, ColorScale, PlayerAction, PoolAction, PoolLab, PoolSettings, PoolSource,
    fmt_num, planes,
};
use crate::route::Route;
use crate::url::Query;

/// The reducer state: the pooling lab's settings.
#[derive(Debug, Clone, PartialEq)]
struct PoolState(PoolSettings);

impl Reducible for PoolState {
    type Action = PoolAction;
    fn reduce(self: Rc<Self>, action: PoolAction) -> Rc<Self> {
        let mut s = self.0.clone();
        s.apply(action);
        Rc::new(PoolState(s))
    }
}

#[derive(Debug)]
struct Views {
    lab: PoolLab,
    inputs: Vec<Rc<Vec<f32>>>,
    outputs: Vec<Rc<Vec<f32>>>,
    in_scale: ColorScale,
    out_scale: ColorScale,
}

fn views(s: &PoolSettings) -> Result<Views, CoreError> {
    let lab = s.build()?;
    let input = lab.input.index_axis(Axis(0), 0).to_owned();
    Ok(Views {
        inputs: planes(&input),
        outputs: planes(&lab.output),
        in_scale: ColorScale::fit(input.iter()),
        out_scale: ColorScale::fit(lab.output.iter()),
        lab,
    })
}

/// The window's reduction written out.
fn expression(step: &PoolStep) -> String {
    let values: Vec<String> = step
        .cells
        .iter()
        .filter_map(|c| c.value.map(fmt_num))
        .collect();
    let v = fmt_num(step.value);
    match step.kind {
        PoolKind::Max => format!("max({}) = {v}", values.join(", ")),
        PoolKind::Sum => format!("{} = {v}", values.join(" + ")),
        PoolKind::Average => format!(
            "({}) / {} = {}/{} = {v}",
            values.join(" + "),
            step.divisor.map_or_else(String::new, fmt_num),
            step.sum.map_or_else(String::new, fmt_num),
            step.divisor.map_or_else(String::new, fmt_num),
        ),
    }
}

/// The pooling and activations page.
#[component]
pub fn PoolingPage() -> Html {
    let state = use_reducer(|| PoolState(PoolSettings::from_query(&initial_query())));
    let s = &state.0;
    use_query_sync(Route::Pooling, s.to_query());
    {
        let on_query = use_callback(state.dispatcher(), |q: Query, d| {
            d.dispatch(PoolAction::Query(q))
        });
        use_hash_query(Route::Pooling, on_query);
    }
    // What the maps are computed from: not the stepper, not the activation explorer (both
    // at their defaults in the key).
    let d = PoolSettings::default();
    let key = PoolSettings {
        player: d.player,
        activation: d.activation,
        x: d.x,
        ..s.clone()
    };
    let views = use_memo(key, views);
    // Callbacks made once (the output maps' clicks once per depth): the components they go
    // to are not rendered again for a new callback.
    let dispatch = state.dispatcher();
    let on_player = use_callback(dispatch.clone(), |a: PlayerAction, d| {
        d.dispatch(PoolAction::Player(a))
    });
    use_player_drive(s.player, on_player.clone());
    let on_window = use_callback(dispatch.clone(), |v: usize, d| {
        d.dispatch(PoolAction::Window(v))
    });
    let on_stride = use_callback(dispatch.clone(), |v: usize, d| {
        d.dispatch(PoolAction::Stride(v))
    });
    let on_padding = use_callback(dispatch.clone(), |v: usize, d| {
        d.dispatch(PoolAction::Padding(v))
    });
    let on_act = use_callback(dispatch.clone(), |a: ActivationChoice, d| {
        d.dispatch(PoolAction::Activation(a))
    });
    let on_x = use_callback(dispatch.clone(), |x: f32, d| d.dispatch(PoolAction::X(x)));
    let depth = (*views).as_ref().map_or(0, |v| v.outputs.len());
    let on_cells = use_memo((dispatch, depth), |(d, depth)| {
        (0..*depth)
            .map(|ci| {
                let d = d.clone();
                Callback::from(move |[y, x]: [usize; 2]| d.dispatch(PoolAction::JumpTo([ci, y, x])))
            })
            .collect::<Vec<_>>()
    });
    let num = |label: &'static str,
               hint: &'static str,
               value: usize,
               testid: &'static str,
               on_change: &Callback<usize>| {
        html! { <NumberField label={label} hint={hint} value={value} testid={testid}
        on_change={on_change.clone()} /> }
    };
    let on_source = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(src) = PoolSource::from_key(&select.value()) {
                state.dispatch(PoolAction::Source(src));
            }
        })
    };
    let on_kind = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some((k, _, _)) = KINDS.iter().find(|(_, key, _)| *key == select.value()) {
                state.dispatch(PoolAction::Kind(*k));
            }
        })
    };
    let stage = match &*views {
        Ok(v) => stage(&state, v, &on_cells, &on_player),
        Err(e) => html! {
            <section class="panel stage-error" role="alert" data-testid="pool-error">
                <h3>{"This pooling cannot run"}</h3>
                <p class="error">{ format!("{e}.") }</p>
            </section>
        },
    };
    html! {
        <section class="page lab" aria-labelledby="page-title">
            <h2 id="page-title">{ Route::Pooling.title() }</h2>
            <p class="lead">{"Pooling summarises each window of every depth slice independently; activations bend each value. Computed by the Rust core."}</p>
            <section class="panel controls" aria-label="Pooling settings">
                <div class="row">
                    <label class="field">
                        <span class="field-label"><strong>{"input"}</strong></span>
                        <select data-testid="pool-source" onchange={on_source}>
                            { for PoolSource::ALL.iter().map(|src| html! {
                                <option value={src.key()} selected={*src == s.source}>{ src.label() }</option>
                            }) }
                        </select>
                    </label>
                    <label class="field">
                        <span class="field-label"><strong>{"pooling"}</strong></span>
                        <select data-testid="pool-kind" onchange={on_kind}>
                            { for KINDS.iter().map(|(k, key, label)| html! {
                                <option value={*key} selected={*k == s.kind}>{ *label }</option>
                            }) }
                        </select>
                    </label>
                    { num("F", "window", s.window, "pool-window", &on_window) }
                    { num("S", "stride (< F: overlapping)", s.stride, "pool-stride", &on_stride) }
                    { num("P", "padding", s.padding, "pool-padding", &on_padding) }
                </div>
            </section>
            { stage }
            <ActivationExplorer act={s.activation} x={s.x} on_act={on_act} on_x={on_x} />
        </section>
    }
}

fn stage(
    state: &UseReducerHandle<PoolState>,
    v: &Views,
    on_cells: &[Callback<[usize; 2]>],
    on_player: &Callback<PlayerAction>,
) -> Html {
    let s = &state.0;
    let trace = &v.lab.trace;
    let len = trace.len();
    let Ok(step) = trace.step(s.player.step.min(len.saturating_sub(1))) else {
        return html! {};
    };
    let [c, oy, ox] = step.output;
    let [depth, h2, w2] = trace.output_dims();
    let [_, _, h1, w1] = trace.geometry().input_shape();
    let pad = s.padding;
    let taps: Rc<Vec<[isize; 2]>> = Rc::new(step.cells.iter().map(|cell| cell.input).collect());
    let first = step.cells.first().map_or([0, 0], |cell| cell.input);
    let window = format!("{},{}", first[0], first[1]);
    let inputs = v.inputs.iter().enumerate().map(|(ci, values)| {
        let here = ci == c;
        html! {
            <div class={classes!("map", here.then_some("current"))}>
                <MatrixCanvas values={values.clone()} rows={h1} cols={w1} pad={pad}
                    taps={if here { taps.clone() } else { Rc::default() }}
                    focus={if here { step.argmax } else { None }}
                    scale={v.in_scale}
                    label={format!("input slice {ci}, {h1}×{w1}")}
                    testid={format!("pool-input-{ci}")} window={here.then(|| AttrValue::from(window.clone()))} />
                <p class="map-caption">{ if depth > 1 { format!("depth slice {}", channel_name(ci, depth)) } else { "input".into() } }</p>
            </div>
        }
    });
    let outputs = v.outputs.iter().enumerate().map(|(ci, values)| {
        let filled = match ci.cmp(&c) {
            std::cmp::Ordering::Less => h2 * w2,
            std::cmp::Ordering::Equal => oy * w2 + ox + 1,
            std::cmp::Ordering::Greater => 0,
        };
        let on_cell = on_cells.get(ci).cloned();
        html! {
            <div class={classes!("map", (ci == c).then_some("current"))}>
                <MatrixCanvas values={values.clone()} rows={h2} cols={w2} filled={Some(filled)}
                    focus={(ci == c).then_some([oy, ox])} scale={v.out_scale}
                    label={format!("pooled slice {ci}: click a cell to jump to its window")}
                    testid={format!("pool-output-{ci}")} on_cell={on_cell} />
                <p class="map-caption">{ if depth > 1 { format!("slice {}", channel_name(ci, depth)) } else { "pooled".into() } }</p>
            </div>
        }
    });
    let f = s.window.max(1);
    let rows = step.cells.chunks(f).map(|row| html! {
        <tr>{ for row.iter().map(|cell| html! {
            <td class={classes!(cell.value.is_none().then_some("pad"), cell.is_argmax.then_some("argmax"))}
                title={format!("input ({}, {})", cell.input[0], cell.input[1])}>
                <span class="product">{ cell.value.map_or_else(|| "pad".into(), fmt_num) }</span>
            </td>
        }) }</tr>
    });
    html! {
        <section class="panel stage" aria-label="Pooling, step by step" data-testid="pool-stage">
            <div class="stage-grid">
                <div class="stage-col">
                    <h3>{ format!("Input {w1}×{h1}×{depth}") }</h3>
                    <div class="maps">{ for inputs }</div>
                    <Legend scale={v.in_scale} />
                </div>
                <div class="stage-col">
                    <h3>{"Window"}</h3>
                    <figure class="products-grid pool-cells" data-testid="pool-cells">
                        <table aria-label="window values"><tbody>{ for rows }</tbody></table>
                    </figure>
                    <p class="sum-expression" data-testid="pool-expression">{ expression(&step) }</p>
                    <p class="output-cell">
                        { format!("output ({oy}, {ox})") }{ if depth > 1 { format!(" of slice {c}") } else { String::new() } }
                        {" = "}<output data-testid="pool-value">{ fmt_num(step.value) }</output>
                    </p>
                    if let Some([ay, ax]) = step.argmax {
                        <p class="muted" data-testid="pool-argmax">{ format!("the max comes from input ({ay}, {ax})") }</p>
                    }
                </div>
                <div class="stage-col">
                    <h3>{ format!("Pooled {w2}×{h2}×{depth}") }</h3>
                    <div class="maps">{ for outputs }</div>
                    <Legend scale={v.out_scale} />
                </div>
            </div>
            <PlayerControls player={s.player} len={len} noun="window" on_action={on_player.clone()} />
            { pool_formula([w1, h1], s, depth) }
        </section>
    }
}

/// The pooled volume's arithmetic (the lecture's formula with the numbers, from the core):
/// W2 and H2, the depth kept, no parameters, and, when S does not divide W1 − F + 2P, the
/// input rows and columns no window reaches.
fn pool_formula([w1, h1]: [usize; 2], s: &PoolSettings, depth: usize) -> Html {
    let (f, st, p) = (s.window, s.stride, s.padding);
    let axes = [("W", w1), ("H", h1)]
        .map(|(name, n)| conv_output_size_explained(n, f, st, p, 1).map(|o| (name, n, o)));
    let [Ok(w), Ok(h)] = axes else {
        return html! {};
    };
    let note = [&w, &h]
        .iter()
        .find_map(|(_, _, o)| o.note.as_ref().map(ToString::to_string));
    html! {
        <div class="formula" data-testid="pool-formula">
            { for [&w, &h].into_iter().map(|(name, n, o)| html! {
                <p>{ axis_line(name, *n, f, st, p, 1, o) }</p>
            }) }
            <p class="volume">{ format!("D2 = D1 = {depth}: pooling keeps the depth and has no parameters") }</p>
            if let Some(n) = note {
                <p class="note" data-testid="pool-note">{ n }</p>
            }
        </div>
    }
}

/// Props of [`ActivationExplorer`].
#[derive(Properties, PartialEq)]
struct ActivationExplorerProps {
    act: ActivationChoice,
    x: f32,
    on_act: Callback<ActivationChoice>,
    on_x: Callback<f32>,
}

/// The four activations with a value to mark (default: the lecture's sigmoid(4)); both are
/// the page's settings, kept in its link.
#[component]
fn ActivationExplorer(props: &ActivationExplorerProps) -> Html {
    let (act, x) = (&props.act, &props.x);
    let on_act = {
        let on_act = props.on_act.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(a) = ActivationChoice::from_key(&select.value()) {
                on_act.emit(a);
            }
        })
    };
    let on_x = {
        let on_x = props.on_x.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(v) = parse_f32(&input.value()).filter(|v| v.is_finite()) {
                on_x.emit(v);
            }
        })
    };
    let value = act.activation().apply(*x);
    html! {
        <section class="panel activation" aria-labelledby="act-title">
            <h3 id="act-title">{"Activations"}</h3>
            <div class="activation-grid">
                <ActivationPlot activation={*act} x={Some(*x)} />
                <div>
                    <div class="row">
                        <label class="field">
                            <span class="field-label"><strong>{"activation"}</strong></span>
                            <select data-testid="explore-activation" onchange={on_act}>
                                { for ActivationChoice::ALL.iter().map(|a| html! {
                                    <option value={a.key()} selected={*a == *act}>{ a.label() }</option>
                                }) }
                            </select>
                        </label>
                        <label class="field">
                            <span class="field-label"><strong>{"x"}</strong></span>
                            <input type="number" step="0.5" value={x.to_string()} data-testid="explore-x" oninput={on_x} />
                        </label>
                    </div>
                    <p class="muted">{ act.formula() }</p>
                    <p class="activation-eq">{ format!("{}({}) = ", act.activation().name(), fmt_num(*x)) }
                        <output data-testid="explore-value">{ fmt_num(value) }</output></p>
                </div>
            </div>
        </section>
    }
}
