//! The transposed stage: the upsampled input (the input spread S apart, padded) with the
//! window, the input cells it reads, the products (holes skipped) and the output maps.

use std::rc::Rc;

use convscope_core::Stepper as _;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::output_maps::{MapsStatus, OutputMaps, TRANSPOSED_MAPS, output_planes};
use super::stage::freshness;
use super::{Dispatch, Lab, Stepper, WorkerMaps};
use crate::components::{Legend, MatrixCanvas, PlayerControls, ProductsGrid, channel_name};
use crate::lab::conv::{ConvMaps, transposed_display_step};
use crate::lab::{Player, PlayerAction, fmt_num};

/// Props of [`TransposedStage`].
#[derive(Properties, PartialEq)]
pub struct TransposedStageProps {
    /// The stepper and the input (transposed mode).
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
}

/// The transposed stepper.
#[component]
pub fn TransposedStage(p: &TransposedStageProps) -> Html {
    let blank = use_memo((), |_| Rc::new(Vec::<f32>::new()));
    let Ok(Stepper::Transposed(lab)) = &p.lab.stepper else {
        return html! {};
    };
    let trace = &lab.trace;
    let len = trace.len();
    let Ok(step) = trace.step(p.player.step.min(len.saturating_sub(1))) else {
        return html! {};
    };
    let [k, oy, ox] = step.output;
    let dims @ [count, h2, w2] = trace.output_dims();
    let [h1, w1] = trace.geometry().input_size();
    let [uh, uw] = trace.upsampled_size();
    // Square settings: both axes pad alike. A negative padding (P crops more than the
    // kernel spans) needs no ring: every window then starts inside the upsampled input.
    let pad = usize::try_from(trace.upsampled_padding()[0]).unwrap_or(0);
    let depth = p.lab.inputs.len();
    let window = format!("{},{}", step.window_origin[0], step.window_origin[1]);
    let shown = Rc::new(transposed_display_step(&step));
    let reply = p.maps.as_deref();
    let out_scale = output_planes(reply, dims).map(|(_, s)| s);
    let fits = out_scale.is_some();
    // The worker's upsampled planes when they are this input's (same size), else blank.
    let upsampled: Option<&[Rc<Vec<f32>>]> = match reply.and_then(|r| r.maps.as_deref().ok()) {
        Some(ConvMaps::Transposed { upsampled, .. })
            if upsampled.len() == depth && upsampled.iter().all(|u| u.len() == uh * uw) =>
        {
            Some(upsampled)
        }
        _ => None,
    };
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
    let upsampled_maps = (0..depth).map(|c| {
        let values = upsampled.map_or_else(|| (*blank).clone(), |u| u[c].clone());
        html! {
            <div class="map">
                <MatrixCanvas values={values} rows={uh} cols={uw} pad={pad} taps={channel_taps(c, true)}
                    scale={p.lab.in_scale} max_size={if depth > 1 { 220.0 } else { 320.0 }}
                    filled={upsampled.is_none().then_some(0)}
                    label={format!("upsampled input{} {uh}×{uw}, padding {pad}: the window over the zero-inserted input", name(c))}
                    testid={format!("t-upsampled-{c}")} window={window.clone()} />
                <p class="map-caption">{ format!("upsampled{}", name(c)) }</p>
            </div>
        }
    });
    let inputs = p.lab.inputs.iter().enumerate().map(|(c, values)| html! {
        <div class="map">
            <MatrixCanvas values={values.clone()} rows={h1} cols={w1} taps={channel_taps(c, false)}
                scale={p.lab.in_scale} max_size={160.0}
                label={format!("input{} {h1}×{w1}: the cells this output cell reads", name(c))}
                testid={format!("t-input-{c}")} />
            <p class="map-caption">{ format!("input{}", name(c)) }</p>
        </div>
    });
    html! {
        <section class="panel stage" aria-label="Transposed convolution, step by step" data-testid="transposed-stage"
            data-maps={freshness(&p.lab, reply, fits && upsampled.is_some(), p.pending)} data-job={p.lab.id.to_string()}>
            <h3>{"Transposed convolution"}</h3>
            <p class="muted">{ format!(
                "Each input cell is spread S = {} cells apart (S − 1 zeros, the \"holes\", between neighbours), the result padded by D·(F − 1) − P = {}; each output cell is then the kernel turned 180° over that grid. Only taps on a real input cell add a product.",
                p.lab.settings.stride, trace.upsampled_padding()[0]) }</p>
            <div class="stage-grid">
                <div class="stage-col">
                    <h3>{ format!("Upsampled input {uw}×{uh}×{depth}") }</h3>
                    <div class="maps">{ for upsampled_maps }</div>
                    <div class="maps">{ for inputs }</div>
                    <Legend scale={p.lab.in_scale} />
                </div>
                <div class="stage-col">
                    <h3>{"Window × kernel"}</h3>
                    <ProductsGrid step={shown} kernel={p.lab.settings.kernel.size} depth={depth}
                        holes_within={Some([(h1.saturating_sub(1) * p.lab.settings.stride) as isize, (w1.saturating_sub(1) * p.lab.settings.stride) as isize])} />
                    <p class="output-cell">
                        { format!("output ({oy}, {ox})") }{ if count > 1 { format!(" of map {k}") } else { String::new() } }
                        {" = "}<output data-testid="output-value">{ fmt_num(step.value) }</output>
                    </p>
                </div>
                <div class="stage-col">
                    <h3 data-testid="transposed-dims">{ format!("Output {w2}×{h2}×{count}") }</h3>
                    <div class="maps stack">
                        <OutputMaps names={&TRANSPOSED_MAPS} reply={p.maps.clone()} dims={dims} cell={step.output}
                            dispatch={p.dispatch.clone()} />
                    </div>
                    if let Some(scale) = out_scale { <Legend scale={scale} /> }
                </div>
            </div>
            <PlayerControls player={p.player} len={len} noun="output cell" on_action={p.on_player.clone()} />
            <MapsStatus lab={p.lab.clone()} reply={p.maps.clone()} />
        </section>
    }
}
