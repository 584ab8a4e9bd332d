//! The forward stage: the input with the window, the products and their sum, the output
//! maps as the stepper fills them, and the activation panel.

use std::rc::Rc;

use convscope_core::{ConvStep, Stepper as _};
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::output_maps::{FORWARD_MAPS, MapsStatus, OutputMaps, output_planes};
use super::{Dispatch, Lab, Stepper, WorkerMaps};
use crate::components::{
    ActivationPlot, Legend, MatrixCanvas, PlayerControls, ProductsGrid, channel_name,
};
use crate::lab::conv::ConvMaps;
use crate::lab::{ActivationChoice, ColorScale, Player, PlayerAction, fmt_num};

/// Props of [`ForwardStage`].
#[derive(Properties, PartialEq)]
pub struct ForwardStageProps {
    /// The stepper and the input (forward mode).
    pub lab: ByPtr<Lab>,
    /// The worker's latest maps.
    pub maps: Option<ByPtr<WorkerMaps>>,
    /// Newer settings wait for their maps (the stage shows these until they come).
    pub pending: bool,
    /// The stepper's transport.
    pub player: Player,
    /// The transport's actions.
    pub on_player: Callback<PlayerAction>,
    /// Where clicks on the maps go.
    pub dispatch: Dispatch,
    /// Whether the activation panel (below the stage, out of a first visit's view) is drawn:
    /// not until the page's first frame is painted.
    pub below: bool,
}

/// Whether the reply holds the current settings' maps (`fresh`), earlier ones of the same
/// size (`stale`: shown while the new are computed, also while the stage still shows the
/// last settings, `pending`), or none that fit (`waiting`): the stage's `data-maps`.
pub fn freshness(lab: &Lab, reply: Option<&WorkerMaps>, fits: bool, pending: bool) -> &'static str {
    match (reply, &lab.job) {
        _ if pending => "stale",
        (Some(r), Some(job)) if r.answers(job) => "fresh",
        _ if fits => "stale",
        _ => "waiting",
    }
}

/// The forward stepper.
#[component]
pub fn ForwardStage(p: &ForwardStageProps) -> Html {
    let Ok(Stepper::Forward(lab)) = &p.lab.stepper else {
        return html! {};
    };
    let trace = &lab.trace;
    let len = trace.len();
    let Ok(step) = trace.step(p.player.step.min(len.saturating_sub(1))) else {
        return html! {};
    };
    let step = Rc::new(step);
    let [k, oy, ox] = step.output;
    let dims @ [count, h2, w2] = trace.output_dims();
    let depth = p.lab.inputs.len();
    let [h1, w1] = trace.geometry().input_size();
    let settings = &p.lab.settings;
    let pad = settings.padding;
    let window = format!("{},{}", step.window_origin[0], step.window_origin[1]);
    let reply = p.maps.as_deref();
    // The maps' scale, when the reply holds maps of this size (current or the previous ones).
    let pre_scale = output_planes(reply, dims).map(|(_, s)| s);
    let fits = pre_scale.is_some();
    let inputs = p.lab.inputs.iter().enumerate().map(|(c, values)| {
        let taps: Rc<Vec<[isize; 2]>> = Rc::new(step.taps.iter().filter(|t| t.channel == c).map(|t| t.input).collect());
        let name = if depth > 1 { format!("input, {}", channel_name(c, depth)) } else { "input".to_string() };
        html! {
            <div class="map">
                <MatrixCanvas values={values.clone()} rows={h1} cols={w1} pad={pad} taps={taps}
                    scale={p.lab.in_scale} label={format!("{name} {h1}×{w1}, padding {pad}")}
                    max_size={if depth > 1 { 190.0 } else { 300.0 }}
                    testid={if c == 0 { "input-canvas".to_string() } else { format!("input-canvas-{c}") }}
                    window={window.clone()} />
                <p class="map-caption">{ name }</p>
            </div>
        }
    });
    html! {
        <>
            <section class="panel stage" aria-label="Convolution, step by step" data-testid="stage"
                data-maps={freshness(&p.lab, reply, fits, p.pending)} data-job={p.lab.id.to_string()}>
                <div class="stage-grid">
                    <div class="stage-col">
                        <h3>{ format!("Image {w1}×{h1}×{depth}") }{ if pad > 0 { format!(", padding {pad}") } else { String::new() } }</h3>
                        <div class="maps">{ for inputs }</div>
                        <Legend scale={p.lab.in_scale} />
                    </div>
                    <div class="stage-col">
                        <h3>{"Window × kernel"}</h3>
                        <ProductsGrid step={step.clone()} kernel={settings.kernel.size} depth={depth} />
                        <p class="output-cell">
                            { format!("output ({oy}, {ox})") }{ if count > 1 { format!(" of map {k}") } else { String::new() } }
                            {" = "}<output data-testid="output-value">{ fmt_num(step.pre_activation) }</output>
                        </p>
                    </div>
                    <div class="stage-col">
                        <h3>{ format!("Convolved feature {w2}×{h2}×{count}") }</h3>
                        <div class="maps stack">
                            <OutputMaps names={&FORWARD_MAPS} reply={p.maps.clone()} dims={dims} cell={step.output}
                                dispatch={p.dispatch.clone()} />
                        </div>
                        if let Some(scale) = pre_scale { <Legend scale={scale} /> }
                    </div>
                </div>
                <PlayerControls player={p.player} len={len} noun="output cell" on_action={p.on_player.clone()} />
                <MapsStatus lab={p.lab.clone()} reply={p.maps.clone()} />
            </section>
            if p.below {
                <ActivationPanel activation={settings.activation} step={step} maps={p.maps.clone()} dims={dims} />
            }
        </>
    }
}

/// Props of [`ActivationPanel`].
#[derive(Properties, PartialEq)]
struct ActivationPanelProps {
    activation: ActivationChoice,
    step: Rc<ConvStep>,
    maps: Option<ByPtr<WorkerMaps>>,
    dims: [usize; 3],
}

/// The current cell through the activation, and map k before and after it.
#[component]
fn ActivationPanel(p: &ActivationPanelProps) -> Html {
    let step = &p.step;
    let [k, oy, ox] = step.output;
    let [_, h2, w2] = p.dims;
    let act = p.activation;
    let x = step.pre_activation;
    let detail = match act {
        ActivationChoice::Sigmoid => format!("1 / (1 + exp({})) = ", fmt_num(-x)),
        _ => String::new(),
    };
    let blank = use_memo((), |_| Rc::new(Vec::<f32>::new()));
    let gray = ColorScale {
        min: 0.0,
        max: 1.0,
        diverging: false,
    };
    // Map k before and after, when the worker's maps fit; blank grids meanwhile.
    let (pre, post, pre_scale, post_scale, filled) =
        match p.maps.as_ref().and_then(|m| m.maps.as_deref().ok()) {
            Some(ConvMaps::Forward {
                dims,
                pre,
                post,
                pre_scale,
                post_scale,
            }) if *dims == p.dims && !pre[k].is_empty() && !post[k].is_empty() => (
                pre[k].clone(),
                post[k].clone(),
                *pre_scale,
                *post_scale,
                None,
            ),
            _ => ((*blank).clone(), (*blank).clone(), gray, gray, Some(0)),
        };
    let name = act.activation().name();
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
                        { format!("{name}({}) = {detail}", fmt_num(x)) }
                        <output data-testid="activation-value">{ fmt_num(step.value) }</output>
                    </p>
                    <div class="maps">
                        <div class="map">
                            <MatrixCanvas values={pre} rows={h2} cols={w2} scale={pre_scale} filled={filled}
                                focus={Some([oy, ox])} max_size={200.0}
                                label="feature map before the activation" testid="pre-activation" />
                            <p class="map-caption">{"before"}</p>
                        </div>
                        <div class="map">
                            <MatrixCanvas values={post} rows={h2} cols={w2} scale={post_scale} filled={filled}
                                focus={Some([oy, ox])} max_size={200.0}
                                label={format!("feature map after {name}")} testid="post-activation" />
                            <p class="map-caption">{ format!("after {name}") }</p>
                        </div>
                    </div>
                    <Legend scale={post_scale} />
                </div>
            </div>
        </section>
    }
}
