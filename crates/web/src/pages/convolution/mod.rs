//! The convolution lab (`#/convolution`): a kernel sliding over an image step by step, the
//! products and their sum, the activation, the output volume and the calculator. Every
//! frame is drawn from the core's [`convscope_core::ConvTrace`] (in transposed mode, from
//! its [`convscope_core::ConvTransposeTrace`]).
//!
//! The page's thread only steps and draws: a settings change builds the trace (it copies
//! the input and validates the layer) and sends the whole layer to the web worker, which
//! answers with every map ([`maps`]). The input may be the user's own image ([`upload`]:
//! decoded in the worker, kept in `localStorage`: [`stored_upload`]) or a dataset sample
//! (from the Classify page's gallery files: [`samples`]), and the kernel one of the shipped
//! LeNet's learned conv1 filters ([`lenet`]).
//!
//! Rooms: [`controls`] (input, kernel, hyper-parameters), [`draw_pad`], [`stage`] (the
//! forward stepper and the activation), [`transposed`], [`output_maps`] (the maps the
//! stepper fills, shared by both modes).

mod controls;
mod draw_pad;
mod lenet;
mod maps;
mod output_maps;
mod samples;
mod stage;
mod stored_upload;
mod transposed;
mod upload;

use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::by_ptr::ByPtr;

use crate::components::{Calculator, VolumeFormula};
use crate::hooks::{
    initial_query, use_after_paint, use_hash_query, use_player_drive, use_query_sync,
};
use crate::lab::conv::{MapsJob, Plane, TransposedError};
use crate::lab::samples::LabSamples;
use crate::lab::{
    ColorScale, ConvAction, ConvLab, ConvSettings, InputSource, PlayerAction, TransposedLab, planes,
};
use crate::route::Route;
use crate::url::Query;
use controls::Controls;
pub use maps::WorkerMaps;
use maps::use_worker_maps;
use stage::ForwardStage;
use stored_upload::{forget_bad_upload, store_upload, stored_upload};
use transposed::TransposedStage;

/// The reducer state: the lab's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvState(pub ConvSettings);

impl Reducible for ConvState {
    type Action = ConvAction;
    fn reduce(self: Rc<Self>, action: ConvAction) -> Rc<Self> {
        let mut s = self.0.clone();
        s.apply(action);
        Rc::new(ConvState(s))
    }
}

/// The dispatcher every room sends its actions through (stable across renders).
pub type Dispatch = UseReducerDispatcher<ConvState>;

/// Which stepper the settings make.
#[derive(Debug)]
pub enum Stepper {
    /// The forward convolution.
    Forward(Box<ConvLab>),
    /// The transposed convolution.
    Transposed(Box<TransposedLab>),
}

/// What the page's thread computes when the settings change (not per step): the stepper,
/// the input's planes and the worker's job. Cheap: no convolution is computed here.
#[derive(Debug)]
pub struct Lab {
    /// Which settings these are: a number new for every settings change on this page
    /// (`data-job`, so a test can tell the maps of one edit from the last one's).
    pub id: u64,
    /// The stepper, or why the layer cannot run.
    pub stepper: Result<Stepper, TransposedError>,
    /// The input's planes, one per channel (shared with the earlier settings' while the
    /// input is unchanged, so editing the kernel does not redraw the input).
    pub inputs: Rc<Vec<Plane>>,
    /// The scale fitted to the input.
    pub in_scale: ColorScale,
    /// The whole layer for the worker (none when it cannot run).
    pub job: Option<Rc<MapsJob>>,
    /// The settings these are (without the step and the calculator).
    pub settings: Rc<ConvSettings>,
}

impl Lab {
    /// The output map the stepper's cell is on at step `step` (the last step's past the end;
    /// 0 when the layer cannot run): the maps the page draws depend on it.
    fn map_at(&self, step: usize) -> usize {
        use convscope_core::Stepper as _;
        let cell = match &self.stepper {
            Ok(Stepper::Forward(l)) => l.trace.cell_of(step.min(l.trace.len().saturating_sub(1))),
            Ok(Stepper::Transposed(l)) => {
                l.trace.cell_of(step.min(l.trace.len().saturating_sub(1)))
            }
            Err(_) => return 0,
        };
        cell.map_or(0, |[k, _, _]| k)
    }

    fn new(s: &Rc<ConvSettings>, inputs: &Input) -> Self {
        let stepper = if s.transposed {
            s.build_transposed()
                .map(|l| Stepper::Transposed(Box::new(l)))
        } else {
            s.build()
                .map(|l| Stepper::Forward(Box::new(l)))
                .map_err(TransposedError::Core)
        };
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            job: stepper.is_ok().then(|| Rc::new(s.maps_job())),
            stepper,
            in_scale: inputs.scale,
            inputs: inputs.planes.clone(),
            settings: s.clone(),
        }
    }
}

/// How long the stage may go on showing the last settings while the web worker computes
/// the maps of an edit that changes only values (a weight, a preset, the activation).
const HOLD_MS: u32 = 150;

/// The lab the stage shows, and whether a newer one waits for its maps.
///
/// An edit that keeps the frame ([`ConvSettings::same_frame`]: the same windows and
/// sizes) does not change the stage at once: the stage keeps the last settings' step, sum
/// and maps until the worker's next answer arrives (or [`HOLD_MS`] pass), then changes
/// once. Shown at once, the stage would change twice per edit: its numbers with the old
/// maps, then the maps; two frames of layout and paint for one keystroke. Any other change
/// (a new input, size, stride, mode, or settings that cannot run) is shown at once.
#[hook]
fn use_shown_lab(latest: Rc<Lab>, reply: Option<Rc<WorkerMaps>>) -> (Rc<Lab>, bool) {
    /// The lab shown and, while it waits for a newer one, the answer there was when it began
    /// waiting (the wait ends with the next answer).
    struct Held {
        shown: Rc<Lab>,
        since: Option<Option<Rc<WorkerMaps>>>,
    }
    let held = use_mut_ref(|| Held {
        shown: latest.clone(),
        since: None,
    });
    // The shown lab whose wait ran out.
    let expired = use_state_eq(|| None::<u64>);
    let (shown, waiting) = {
        let mut held = held.borrow_mut();
        if Rc::ptr_eq(&held.shown, &latest) {
            held.since = None;
        } else {
            let since = held.since.get_or_insert_with(|| reply.clone());
            let no_answer = match (&*since, &reply) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            let hold = no_answer
                && *expired != Some(held.shown.id)
                && held.shown.stepper.is_ok()
                && latest.job.is_some()
                && held.shown.settings.same_frame(&latest.settings);
            if !hold {
                *held = Held {
                    shown: latest.clone(),
                    since: None,
                };
            }
        }
        (held.shown.clone(), held.since.is_some())
    };
    {
        let expired = expired.setter();
        use_effect_with(waiting.then_some(shown.id), move |id| {
            let timer = id.map(|id| Timeout::new(HOLD_MS, move || expired.set(Some(id))));
            move || drop(timer)
        });
    }
    (shown, waiting)
}

/// The input's planes and scale, computed when the input changes.
#[derive(Debug)]
struct Input {
    planes: Rc<Vec<Plane>>,
    scale: ColorScale,
}

impl Input {
    fn new(s: &ConvSettings) -> Self {
        let input = s.input_tensor().index_axis_move(ndarray::Axis(0), 0);
        Self {
            scale: ColorScale::fit(input.iter()),
            planes: Rc::new(planes(&input)),
        }
    }
}

/// The settings the input depends on (the upload compared by identity; the samples as far
/// as they are loaded: a sample arriving replaces the stand-in).
#[derive(PartialEq)]
struct InputKey {
    source: InputSource,
    draw_size: usize,
    drawn: Vec<bool>,
    upload: Option<ByPtr<Vec<u8>>>,
    samples: LabSamples,
}

fn input_key(s: &ConvSettings) -> InputKey {
    InputKey {
        source: s.input,
        draw_size: s.draw_size,
        drawn: s.drawn.clone(),
        upload: s.upload.as_ref().map(|u| ByPtr(u.pixels.clone())),
        samples: s.samples.clone(),
    }
}

/// The settings that change what is computed (not the step or the calculator).
fn compute_key(s: &ConvSettings) -> ConvSettings {
    let mut k = s.clone();
    k.player = Default::default();
    k.calc = Default::default();
    k.link_step = None;
    k
}

/// The convolution lab page.
#[component]
pub fn ConvolutionPage() -> Html {
    // Renders of the page, for the end-to-end test of renders per frame (`data-renders`).
    let renders = use_mut_ref(|| 0u64);
    *renders.borrow_mut() += 1;
    // The stored upload first, then the URL (which may choose it as the input).
    let state = use_reducer(|| {
        let mut s = ConvSettings::default();
        if let Some(Ok(u)) = stored_upload() {
            s.apply(ConvAction::RestoreUpload(u));
        }
        s.apply(ConvAction::Query(initial_query()));
        ConvState(s)
    });
    let dispatch = state.dispatcher();
    let storage_note = use_state(|| {
        forget_bad_upload()
            .map(|e| format!("The image uploaded earlier could not be restored: {e}."))
    });
    let s = &state.0;
    use_query_sync(Route::Convolution, s.to_query());
    {
        let on_query = use_callback(dispatch.clone(), |q: Query, d| {
            d.dispatch(ConvAction::Query(q))
        });
        use_hash_query(Route::Convolution, on_query);
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
    samples::use_samples(s.samples_to_fetch(), dispatch.clone());
    let lenet = lenet::use_lenet_presets();
    let layer = use_memo(compute_key(s), |k| k.clone());
    let input = use_memo(input_key(s), |_| Input::new(s));
    let lab = {
        let input = input.clone();
        use_memo(layer.clone(), move |k| Lab::new(k, &input))
    };
    let reply = use_worker_maps(lab.job.clone(), lab.map_at(s.player.step));
    let (lab, pending) = use_shown_lab(lab, reply.clone());

    let on_player = use_callback(dispatch.clone(), |a: PlayerAction, d| {
        d.dispatch(ConvAction::Player(a))
    });
    use_player_drive(s.player, on_player.clone());
    let on_calc = use_callback(dispatch.clone(), |(i, v): (usize, String), d| {
        d.dispatch(ConvAction::Calc(i, v));
    });

    // What lies below the stage (the activation, the output volume, the calculator) is out
    // of a first visit's view: it is drawn once the first frame is painted, which it would
    // otherwise delay (its layout, fonts and plot).
    let below = use_after_paint(true);
    let lab_ref = ByPtr(lab.clone());
    let reply = reply.map(ByPtr);
    let stage = match &lab.stepper {
        Ok(Stepper::Forward(_)) => html! {
            <ForwardStage lab={lab_ref} maps={reply} pending={pending} player={s.player}
                on_player={on_player.clone()} dispatch={dispatch.clone()} below={below} />
        },
        Ok(Stepper::Transposed(_)) => html! {
            <TransposedStage lab={lab_ref} maps={reply} pending={pending} player={s.player}
                on_player={on_player.clone()} dispatch={dispatch.clone()} />
        },
        Err(e @ TransposedError::Core(_)) if !lab.settings.transposed => html! {
            <section class="panel stage-error" role="alert" data-testid="lab-error">
                <h3>{"This layer cannot run"}</h3>
                <p class="error">{ format!("{e}.") }</p>
                <p>{"The output-volume panel below says which term fails and the nearest values that work."}</p>
            </section>
        },
        Err(e) => html! {
            <section class="panel stage-error" role="alert" data-testid="lab-error">
                <h3>{"This transposed convolution cannot run"}</h3>
                <p class="error">{ format!("{e}.") }</p>
            </section>
        },
    };
    let [depth, h, w] = s.input_dims();
    html! {
        <section class="page lab" aria-labelledby="page-title" data-renders={renders.borrow().to_string()}>
            <h2 id="page-title">{ Route::Convolution.title() }</h2>
            <p class="lead">{"Watch a kernel slide over an image, one dot product at a time. Every number is computed by the Rust core."}</p>
            <Controls settings={ByPtr(layer)} lenet={lenet.0.clone()}
                storage_note={(*storage_note).clone().map(AttrValue::from)} dispatch={dispatch.clone()} />
            { stage }
            if below {
                <section class="panel" aria-labelledby="volume-title">
                    <h3 id="volume-title">{"Output volume"}</h3>
                    <VolumeFormula input={[w, h, depth]} kernel={s.kernel.size} params={s.params()}
                        filters={s.filters} transposed={s.transposed} />
                </section>
                <Calculator calc={s.calc.clone()} on_change={on_calc} />
            }
        </section>
    }
}
