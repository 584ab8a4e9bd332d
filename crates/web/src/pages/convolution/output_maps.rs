//! The output maps as the stepper fills them: maps before the current cell's `[k, y, x]`
//! whole, map k up to the cell (focused), later maps empty. Clicking a cell jumps to its
//! step. Shared by the forward and the transposed stage, which differ only in names.

use std::rc::Rc;

use yew::prelude::*;

use crate::by_ptr::ByPtr;

use super::{Dispatch, Lab, WorkerMaps};
use crate::components::MatrixCanvas;
use crate::lab::conv::{ConvMaps, Plane};
use crate::lab::{ColorScale, ConvAction};

/// How a stack of output maps is named and sized.
#[derive(Debug, PartialEq)]
pub struct MapStack {
    /// The canvas label's noun: "convolved feature 2, 3×3: …".
    pub label: &'static str,
    /// Map k's test id is `{testid}-{k}`.
    pub testid: &'static str,
    /// The caption of a lone map.
    pub single: &'static str,
    /// The caption of map k in a stack: "{each} {k}".
    pub each: &'static str,
    /// Largest side of a canvas, CSS px.
    pub max_size: f64,
}

/// The forward stage's maps (before the activation).
pub const FORWARD_MAPS: MapStack = MapStack {
    label: "convolved feature",
    testid: "output-canvas",
    single: "convolved feature",
    each: "filter",
    max_size: 260.0,
};

/// The transposed stage's output maps.
pub const TRANSPOSED_MAPS: MapStack = MapStack {
    label: "output map",
    testid: "t-output",
    single: "output",
    each: "map",
    max_size: 320.0,
};

/// The worker's planes for `[K, H2, W2]` and their scale, if the reply holds maps of that
/// size (the current ones, or the previous ones while the new are computed): forward mode's
/// maps before the activation, or transposed mode's output.
pub fn output_planes(
    reply: Option<&WorkerMaps>,
    dims: [usize; 3],
) -> Option<(&[Plane], ColorScale)> {
    match reply?.maps.as_deref().ok()? {
        ConvMaps::Forward {
            dims: d,
            pre,
            pre_scale,
            ..
        } if *d == dims => Some((pre, *pre_scale)),
        ConvMaps::Transposed {
            dims: d,
            output,
            out_scale,
            ..
        } if *d == dims => Some((output, *out_scale)),
        _ => None,
    }
}

/// Props of [`OutputMaps`].
#[derive(Properties, PartialEq)]
pub struct OutputMapsProps {
    /// Names and sizes.
    pub names: &'static MapStack,
    /// The worker's latest answer.
    pub reply: Option<ByPtr<WorkerMaps>>,
    /// `[K, H2, W2]`.
    pub dims: [usize; 3],
    /// The current cell `[k, y, x]`.
    pub cell: [usize; 3],
    /// Where a click goes.
    pub dispatch: Dispatch,
}

/// The output maps.
#[component]
pub fn OutputMaps(p: &OutputMapsProps) -> Html {
    let [count, h2, w2] = p.dims;
    let [k, oy, ox] = p.cell;
    let planes = output_planes(p.reply.as_deref(), p.dims);
    let blank = use_memo((), |_| Rc::new(Vec::<f32>::new()));
    html! {
        { for (0..count).map(|kk| {
            let filled = match kk.cmp(&k) {
                std::cmp::Ordering::Less => h2 * w2,
                std::cmp::Ordering::Equal => oy * w2 + ox + 1,
                std::cmp::Ordering::Greater => 0,
            };
            let sent = planes.and_then(|(planes, scale)| Some((planes.get(kk).filter(|p| !p.is_empty())?, scale)));
            let (values, scale, filled) = match sent {
                Some((plane, scale)) if filled > 0 => (plane.clone(), scale, filled),
                // Not computed yet (or not sent yet), or not reached by the stepper: the grid,
                // blank. The same blank picture whatever the maps, so new maps do not redraw a
                // map that shows none of their values.
                _ => ((*blank).clone(), ColorScale { min: 0.0, max: 1.0, diverging: false }, 0),
            };
            html! {
                <OutputMap key={kk} names={p.names} index={kk} many={count > 1} values={ByPtr(values)} scale={scale}
                    rows={h2} cols={w2} filled={filled} focus={(kk == k).then_some([oy, ox])}
                    dispatch={p.dispatch.clone()} />
            }
        }) }
    }
}

#[derive(Properties, PartialEq)]
struct OutputMapProps {
    names: &'static MapStack,
    index: usize,
    many: bool,
    values: ByPtr<Vec<f32>>,
    scale: ColorScale,
    rows: usize,
    cols: usize,
    filled: usize,
    focus: Option<[usize; 2]>,
    dispatch: Dispatch,
}

#[component]
fn OutputMap(p: &OutputMapProps) -> Html {
    let on_cell = use_callback(
        (p.dispatch.clone(), p.index),
        |[y, x]: [usize; 2], (d, kk)| {
            d.dispatch(ConvAction::JumpTo([*kk, y, x]));
        },
    );
    let (kk, h2, w2, names) = (p.index, p.rows, p.cols, p.names);
    html! {
        <div class={classes!("map", p.focus.is_some().then_some("current"))}>
            <MatrixCanvas values={p.values.0.clone()} rows={h2} cols={w2} filled={Some(p.filled)}
                focus={p.focus} scale={p.scale}
                label={format!("{} {kk}, {h2}×{w2}: click a cell to jump to its step", names.label)}
                testid={format!("{}-{kk}", names.testid)} on_cell={on_cell} max_size={names.max_size} />
            <p class="map-caption">{ if p.many { format!("{} {kk}", names.each) } else { names.single.into() } }</p>
        </div>
    }
}

/// Props of [`MapsStatus`].
#[derive(Properties, PartialEq)]
pub struct MapsStatusProps {
    /// The current settings' lab.
    pub lab: ByPtr<Lab>,
    /// The worker's latest answer.
    pub reply: Option<ByPtr<WorkerMaps>>,
}

/// Where the maps come from: being computed, computed in so many milliseconds, or the
/// worker's reason it could not.
#[component]
pub fn MapsStatus(p: &MapsStatusProps) -> Html {
    let current = p
        .reply
        .as_ref()
        .filter(|r| p.lab.job.as_ref().is_some_and(|job| r.answers(job)));
    match current.map(|r| (&r.maps, r.millis)) {
        None => html! {
            <p class="muted small" role="status" data-testid="maps-status">{"Computing the maps in the web worker…"}</p>
        },
        Some((Err(e), _)) => html! {
            <p class="error small" role="alert" data-testid="maps-status">{ format!("The web worker could not compute the maps: {e}.") }</p>
        },
        Some((Ok(_), millis)) => html! {
            <p class="muted small" role="status" data-testid="maps-status"
                data-millis={millis.map(|m| format!("{m:.1}"))}>
                { match millis {
                    Some(m) => format!("Maps computed by the web worker in {m:.1} ms."),
                    None => "Maps computed by the web worker.".to_owned(),
                } }
            </p>
        },
    }
}
