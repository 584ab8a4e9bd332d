//! The Classify page (`#/classify`): a network running in the web worker on a drawing, a
//! test-set sample or an uploaded image, with every layer shown and the convolution behind
//! any feature-map pixel one click away.
//!
//! The page's state is pure ([`crate::lab::classify`]): a [`ClassifyView`] reducer for what
//! is shown and a [`Session`] for the requests (one in flight, the newest waiting). All
//! inference runs in the worker; the page only draws.

mod dense_bars;
mod draw_pad;
mod explain;
pub(crate) mod feature_maps;
mod field;
pub(crate) mod filters;
mod gallery;
mod inspector;
mod looks;
mod model_picker;
mod occlusion;
mod prediction;
mod preprocess_view;
mod probability_chart;
mod speed;

use std::cell::RefCell;
use std::rc::Rc;

use futures::future::LocalBoxFuture;

use crate::core_worker::{Workers, use_workers};
use convscope_core::data::{DatasetKind, IMAGE_SIZE};
use web_sys::Blob;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::agent::{ClassifyInput, CoreReply, CoreRequest, ModelFile};
use crate::by_ptr::ByPtr;
use crate::components::ImageInput;
use crate::fetch::{MAX_FILE_BYTES, blob_bytes, early_or_fetched, page_url, too_large};
use crate::handoff::Handoff;
use crate::hooks::{initial_query, use_after_paint, use_hash_query, use_query_sync, use_started};
use crate::lab::classify::choice::{dataset_of, samples_url};
use crate::lab::classify::drawing::RASTER_SIDE;
use crate::lab::classify::{
    ClassifyAction, ClassifyView, Drawing, ExplainSettings, Gallery, Job, ModelChoice,
    NetworkViews, Session, Source, inspect,
};
use crate::route::Route;
use crate::storage::local;
use crate::url::Query;
use crate::worker_script::{Early, take_early_file};

use dense_bars::DenseBars;
use draw_pad::DrawPad;
use explain::ExplainPanel;
use feature_maps::FeatureMaps;
use field::FieldPanel;
use filters::Filters;
use gallery::SampleGallery;
use inspector::Inspector;
use looks::FilterLooksPanel;
use model_picker::ModelPicker;
use prediction::Prediction;
use preprocess_view::{Original, PreprocessView};
use probability_chart::ProbabilityChart;
use speed::SpeedCheck;

/// The reducer around the pure view state.
#[derive(Debug, Clone, Default, PartialEq)]
struct ViewState(ClassifyView);

impl Reducible for ViewState {
    type Action = ClassifyAction;
    fn reduce(self: Rc<Self>, action: ClassifyAction) -> Rc<Self> {
        let mut v = self.0.clone();
        v.apply(action);
        Rc::new(ViewState(v))
    }
}

type Dispatch = UseReducerDispatcher<ViewState>;
/// The page's two workers: the core's (models, classifications) and the image worker
/// (uploaded files).
type Runner = Workers;

/// `localStorage` key of the last drawing.
const DRAWING_KEY: &str = "convscope.classify.drawing";

fn load_drawing() -> Drawing {
    local()
        .and_then(|s| s.get_item(DRAWING_KEY).ok().flatten())
        .and_then(|t| Drawing::decode(&t))
        .unwrap_or_default()
}

fn save_drawing(d: &Drawing) {
    if let Some(s) = local() {
        let _ = s.set_item(DRAWING_KEY, &d.encode());
    }
}

/// The gallery sample a link names (`sample=N`, its place in the gallery), if any.
fn linked_sample(query: &Query) -> Option<usize> {
    query.number(SAMPLE_KEY, usize::MAX)
}

/// The link's key for the gallery sample on screen.
const SAMPLE_KEY: &str = "sample";

/// What to ask for when `gallery` arrives: on the page's first ask the sample the link
/// names, else the restored drawing; otherwise that sample or the gallery's first when
/// nothing was asked yet or the last input is a test image of another dataset (a model of
/// another dataset replaced the one it was picked for: it is not run again).
fn first_input(
    session: &Session,
    drawing: &Drawing,
    gallery: &Gallery,
    linked: Option<usize>,
) -> Option<(Source, ClassifyInput)> {
    let linked = linked.filter(|&i| i < gallery.samples.len());
    if session.last_source().is_none() && linked.is_none() && !drawing.is_empty() {
        return Some((Source::Drawing, drawing_input(drawing)));
    }
    if !session.wants_sample_of(gallery.kind) {
        return None;
    }
    let i = linked.unwrap_or(0);
    let (source, sample) = (gallery.source(i)?, gallery.samples.get(i)?);
    Some((source, ClassifyInput::Ready(sample.pixels.to_vec())))
}

/// The rasterised drawing, as the worker takes it.
fn drawing_input(d: &Drawing) -> ClassifyInput {
    ClassifyInput::Drawing {
        width: RASTER_SIDE,
        height: RASTER_SIDE,
        pixels: d.rasterize(RASTER_SIDE),
    }
}

/// An object URL for an uploaded file, revoked when dropped.
#[derive(Debug, PartialEq)]
struct ObjectUrl(String);

impl ObjectUrl {
    fn new(blob: &Blob) -> Option<Self> {
        web_sys::Url::create_object_url_with_blob(blob)
            .ok()
            .map(Self)
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}

/// The core worker's answer to `job`, its first request sent now. A file is first prepared
/// by the image worker (which alone has the decoders), in the job's model's style; its
/// refusal is the answer.
fn classify(runner: &Runner, job: &Job) -> LocalBoxFuture<'static, CoreReply> {
    let ClassifyInput::File(bytes) = &job.input else {
        return Box::pin(runner.core.run(job.request(job.input.clone())));
    };
    let prepared = runner.images.run(CoreRequest::Prepare {
        bytes: bytes.clone(),
        style: job.style,
    });
    let (core, job) = (runner.core.clone(), job.clone());
    Box::pin(async move {
        let input = match prepared.await {
            CoreReply::Prepared(Ok(p)) => ClassifyInput::Prepared(p),
            CoreReply::Prepared(Err(e)) => return CoreReply::Classified(Err(e)),
            lost @ CoreReply::Lost(_) => return lost,
            other => {
                let e = crate::agent::unexpected(other, "a file to prepare");
                return CoreReply::Classified(Err(e));
            }
        };
        core.run(job.request(input)).await
    })
}

/// Sends `first` now, then every job that waited for it, one at a time, as the answers come.
fn pump(
    runner: Runner,
    session: Rc<RefCell<Session>>,
    dispatch: Dispatch,
    first: Job,
) -> impl Future<Output = ()> {
    let mut sent = classify(&runner, &first);
    let mut job = first;
    async move {
        loop {
            // A worker that dies or never answers is replaced by the runner (its deadline): the
            // answer is then `Lost`, said here, and the next input is sent.
            let reply = sent.await;
            let (current, held) = {
                let mut s = session.borrow_mut();
                (s.is_current(&job), s.take_held())
            };
            if let Some(summary) = held {
                dispatch.dispatch(ClassifyAction::ModelLoaded(summary));
            }
            match reply {
                CoreReply::Classified(Ok(c)) if current => {
                    dispatch.dispatch(ClassifyAction::Classified(job.source.clone(), Rc::new(*c)));
                    crate::perf::mark_once(crate::perf::FIRST_PREDICTION);
                }
                CoreReply::Classified(Err(e)) if current => {
                    let what = job.source.what();
                    dispatch.dispatch(ClassifyAction::InputFailed(format!("{what}: {e}")));
                }
                CoreReply::Lost(e) => {
                    let what = job.source.what();
                    dispatch.dispatch(ClassifyAction::InputFailed(format!("{what}: {e}")));
                }
                _ => {}
            }
            let next = session.borrow_mut().settled();
            match next {
                Some(n) => {
                    sent = classify(&runner, &n);
                    job = n;
                }
                None => break,
            }
        }
    }
}

/// Loads a model into the worker under `name` (trained on `dataset`, when known before its
/// file: a shipped model), its request sent now; on success the last input runs again.
/// Resolves to whether it loaded.
///
/// `load` is this load's number and `wanted` the newest load's: a load overtaken by a
/// newer one (the user switched again meanwhile) is dropped, whichever finishes last.
fn load_model(
    runner: Runner,
    session: Rc<RefCell<Session>>,
    dispatch: Dispatch,
    (load, wanted): (u64, Rc<RefCell<u64>>),
    (name, dataset): (String, Option<DatasetKind>),
    file: Result<ModelFile, String>,
) -> impl Future<Output = bool> {
    let loading = file.map(|file| {
        let loading = runner.core.run(CoreRequest::LoadModel {
            name: name.clone(),
            file,
        });
        // The page's first model takes inputs as it loads (`Session::loading`): one asked
        // for already goes right behind the load's request, sent above.
        let first = session.borrow_mut().loading(&name, dataset);
        if let Some(job) = first {
            spawn_local(pump(runner.clone(), session.clone(), dispatch.clone(), job));
        }
        loading
    });
    async move {
        let loading = match loading {
            Ok(loading) => loading,
            Err(e) => {
                if *wanted.borrow() == load {
                    session.borrow_mut().failed(&name);
                    dispatch.dispatch(ClassifyAction::ModelFailed(e));
                }
                return false;
            }
        };
        match loading.await {
            _ if *wanted.borrow() != load => false,
            CoreReply::ModelLoaded(Ok(summary)) => {
                let dataset = dataset_of(&summary);
                // The input that waited for the model is sent first (as `pump` is called),
                // before the render of the model's facts and filters that the dispatch below
                // schedules (tens of ms on a first visit). With an answer from this model in
                // flight, its summary waits for it (`Session::show`): the pump shows both.
                let (job, shown) = {
                    let mut s = session.borrow_mut();
                    (s.loaded(name, dataset), s.show(Rc::new(*summary)))
                };
                if let Some(job) = job {
                    spawn_local(pump(runner, session, dispatch.clone(), job));
                }
                if let Some(summary) = shown {
                    dispatch.dispatch(ClassifyAction::ModelLoaded(summary));
                }
                true
            }
            CoreReply::ModelLoaded(Err(e)) => {
                session.borrow_mut().failed(&name);
                dispatch.dispatch(ClassifyAction::ModelFailed(format!(
                    "the model could not be loaded: {e}"
                )));
                false
            }
            other => {
                session.borrow_mut().failed(&name);
                dispatch.dispatch(ClassifyAction::ModelFailed(crate::agent::unexpected(
                    other,
                    "loading the model",
                )));
                false
            }
        }
    }
}

/// A shipped model's file at `url`: the loader's `bytes`, else named by its URL for the
/// worker to fetch (or to find loaded: the loader handed it over).
fn shipped_model(url: &str, bytes: Option<Vec<u8>>) -> Result<ModelFile, String> {
    match bytes {
        Some(bytes) => Ok(ModelFile::Bytes(bytes)),
        None => page_url(url).map(ModelFile::Url),
    }
}

/// The Classify page.
#[component]
pub fn ClassifyPage() -> Html {
    let runner = use_workers();
    // The core's worker starts at once, while the model and the gallery are fetched.
    {
        let core = runner.core.clone();
        use_started((), move |()| core.warm());
    }
    let view = use_reducer(ViewState::default);
    let choice = use_state(|| ModelChoice::from_query(&initial_query()));
    let explain_settings = use_state(|| ExplainSettings::from_query(&initial_query()));
    // The gallery sample on screen is in the link too (but its first, the default), so that
    // a reload or a shared link shows the image its explanation settings were chosen for.
    let mut sample_query = Query::new();
    if let Some(i) = view.0.selected_sample().filter(|&i| i > 0) {
        sample_query.push(SAMPLE_KEY, i.to_string());
    }
    use_query_sync(
        Route::Classify,
        choice
            .to_query()
            .merged(explain_settings.to_query())
            .merged(sample_query),
    );
    // The sample a followed link names, for the first gallery that arrives (only).
    let linked_at_start = use_mut_ref(|| linked_sample(&initial_query()));
    // A link pasted or followed while on the page chooses its model and its explanation.
    {
        let on_query = use_callback(
            (choice.setter(), explain_settings.setter()),
            |q: Query, (choice, explain)| {
                choice.set(ModelChoice::from_query(&q));
                explain.set(ExplainSettings::from_query(&q));
            },
        );
        use_hash_query(Route::Classify, on_query);
    }
    let on_explain_settings = {
        let s = explain_settings.clone();
        use_callback((), move |next: ExplainSettings, _| s.set(next))
    };
    let session = use_mut_ref(Session::default);
    let initial_drawing = use_memo((), |_| load_drawing());
    // The object URLs still needed: the shown file's and the newest file's.
    let file_urls = use_mut_ref(Vec::<ObjectUrl>::new);
    // The number of the newest model load (older loads' replies are dropped).
    let wanted_load = use_mut_ref(|| 0_u64);
    let v = &view.0;

    // Asks for a classification; sends it now if nothing is in flight.
    let ask = {
        let session = session.clone();
        use_callback(
            (runner.clone(), view.dispatcher()),
            move |(source, input): (Source, ClassifyInput), (runner, dispatch)| {
                let job = session.borrow_mut().ask(source, input);
                if let Some(job) = job {
                    spawn_local(pump(runner.clone(), session.clone(), dispatch.clone(), job));
                }
            },
        )
    };

    // What the Train page handed over: its network (below) and a test image to start with.
    let handoff = use_context::<Handoff>().unwrap_or_default();
    {
        let ask = ask.clone();
        let handoff = handoff.clone();
        use_effect_with((), move |()| {
            if let Some(image) = handoff.take_image() {
                let source = Source::Handed {
                    kind: image.dataset,
                    label: image.label,
                };
                ask.emit((source, ClassifyInput::Ready(image.pixels)));
            }
        });
    }

    // A shipped model (fetched) or the trained network (handed over, else the saved run):
    // loaded in the worker. Started as the page renders: on a first visit this is the first
    // answer's path, and its request goes out at once (below).
    {
        let runner = runner.clone();
        let session = session.clone();
        let dispatch = view.dispatcher();
        let wanted = wanted_load.clone();
        use_started((*choice).clone(), move |choice| {
            let url = choice.url();
            if url.is_none() && *choice != ModelChoice::Trained {
                return;
            }
            let name = choice.worker_name();
            let load = *wanted.borrow() + 1;
            *wanted.borrow_mut() = load;
            let dataset = choice.dataset();
            dispatch.dispatch(ClassifyAction::ModelLoading);
            let start = move |file| {
                load_model(
                    runner,
                    session,
                    dispatch,
                    (load, wanted),
                    (name, dataset),
                    file,
                )
            };
            // A shipped model's file: the one the loader fetched while the wasm compiled (a
            // visit that opens here), unless it was handed to the worker already; else named
            // by its URL, and fetched by the worker, which does not wait for this page's
            // thread. On a first visit the loader has it (or has handed it over) by the time
            // the app starts: the load's request goes now, as the page's first render begins,
            // and the first input's right behind it (the gallery's, below), so that the
            // worker's answer is there when that render ends (taken after the frame that
            // follows it: Chromium runs that frame first).
            match url {
                Some(url) => match take_early_file(url) {
                    Early::Now(bytes) => {
                        let loaded = start(shipped_model(url, bytes));
                        spawn_local(async move {
                            loaded.await;
                        });
                    }
                    later => spawn_local(async move {
                        start(shipped_model(url, later.get().await)).await;
                    }),
                },
                None => spawn_local(async move {
                    let file = match handoff.take_weights() {
                        Some(bytes) => Ok(bytes),
                        None => crate::trainer::saved_weights().await,
                    };
                    start(file.map(ModelFile::Bytes)).await;
                }),
            }
        });
    }

    // The gallery of the model's dataset: a shipped model's is known at once, so the first
    // visit fetches the gallery while the worker starts and loads the model. As it arrives,
    // the first input is asked for ([`first_input`]), before the gallery is shown: on a first
    // visit the page's thread is busy, and the render the gallery causes came between the
    // file and the request.
    let dataset = v
        .summary
        .as_ref()
        .map(|s| dataset_of(s))
        .or_else(|| choice.dataset());
    {
        let dispatch = view.dispatcher();
        let have = v.gallery.as_ref().map(|g| g.kind);
        let (ask, session, drawing) = (ask.clone(), session.clone(), initial_drawing.clone());
        let linked_at_start = linked_at_start.clone();
        use_started(dataset, move |dataset| {
            let Some(kind) = *dataset else { return };
            if have == Some(kind) {
                return;
            }
            let arrived = move |g: Result<Gallery, String>| {
                if let Ok(g) = &g {
                    let linked = linked_at_start.borrow_mut().take();
                    let first = first_input(&session.borrow(), &drawing, g, linked);
                    if let Some(first) = first {
                        ask.emit(first);
                    }
                }
                dispatch.dispatch(match g {
                    Ok(g) => ClassifyAction::GalleryLoaded(g),
                    Err(e) => ClassifyAction::GalleryFailed(e),
                });
            };
            // Here already on a first visit (the loader's): the first input is asked for
            // now, in the page's first render.
            let url = samples_url(kind);
            match take_early_file(url) {
                Early::Now(Some(bytes)) => arrived(Gallery::from_safetensors(&bytes)),
                early => spawn_local(async move {
                    let bytes = early_or_fetched(early, url).await;
                    arrived(bytes.and_then(|b| Gallery::from_safetensors(&b)));
                }),
            }
        });
    }

    // A stroke goes on (its results are not announced one by one).
    let stroking = use_state_eq(|| false);
    let on_draw = {
        let session = session.clone();
        use_callback(
            (ask.clone(), stroking.setter(), view.dispatcher()),
            move |(d, finished): (Rc<Drawing>, bool), (ask, stroking, dispatch)| {
                stroking.set(!finished);
                if finished {
                    save_drawing(&d);
                }
                if !d.is_empty() {
                    ask.emit((Source::Drawing, drawing_input(&d)));
                } else if finished {
                    // Cleared: the drawing's answer goes, none still coming is shown.
                    session.borrow_mut().clear_drawing();
                    dispatch.dispatch(ClassifyAction::DrawingCleared);
                }
            },
        )
    };
    // The same callback while the gallery stays: the gallery is not rendered again.
    let on_pick = {
        let ask = ask.clone();
        use_callback(
            v.gallery.as_ref().map(ByPtr::of),
            move |i: usize, gallery| {
                if let Some(g) = gallery
                    && let (Some(source), Some(s)) = (g.source(i), g.samples.get(i))
                {
                    ask.emit((source, ClassifyInput::Ready(s.pixels.to_vec())));
                }
            },
        )
    };
    // A file from the upload (its size already checked): read, then classified.
    let on_image = {
        let session = session.clone();
        let file_urls = file_urls.clone();
        let shown_url = match v.shown.as_ref().map(|s| &s.source) {
            Some(Source::File { url, .. }) => url.clone(),
            _ => None,
        };
        use_callback(
            (ask.clone(), view.dispatcher(), shown_url),
            move |(name, blob): (String, Blob), (ask, dispatch, shown_url)| {
                // The file's URL travels with its request, so the original shown is always
                // the file of the result beside it; older URLs no longer needed are revoked.
                let url = ObjectUrl::new(&blob);
                let source = Source::File {
                    name,
                    url: url.as_ref().map(|u| u.0.clone()),
                };
                {
                    let mut urls = file_urls.borrow_mut();
                    // Kept: the shown file's and the newest before this one (it may be in
                    // flight and shown next).
                    let newest = urls.last().map(|u| u.0.clone());
                    urls.retain(|u| {
                        shown_url.as_ref() == Some(&u.0) || newest.as_ref() == Some(&u.0)
                    });
                    urls.extend(url);
                }
                // An input asked for while the file is read (a sample, a stroke) is newer:
                // the file then gives way.
                let asked = session.borrow().generation();
                let (ask, session, dispatch) = (ask.clone(), session.clone(), dispatch.clone());
                spawn_local(async move {
                    let bytes = blob_bytes(&blob).await;
                    if session.borrow().generation() != asked {
                        return;
                    }
                    match bytes {
                        Ok(bytes) => ask.emit((source, ClassifyInput::File(bytes))),
                        Err(e) => dispatch.dispatch(ClassifyAction::InputFailed(e)),
                    }
                });
            },
        )
    };
    let on_refused = use_callback(view.dispatcher(), |message: String, dispatch| {
        dispatch.dispatch(ClassifyAction::InputFailed(message));
    });
    let on_choose = use_callback(choice.setter(), |c: ModelChoice, choice| choice.set(c));
    let on_model_file = {
        let session = session.clone();
        let wanted = wanted_load.clone();
        use_callback(
            (runner.clone(), view.dispatcher(), choice.setter()),
            move |(name, blob): (String, Blob), (runner, dispatch, choice)| {
                let (runner, session, dispatch, choice, wanted) = (
                    runner.clone(),
                    session.clone(),
                    dispatch.clone(),
                    choice.clone(),
                    wanted.clone(),
                );
                if blob.size() > MAX_FILE_BYTES {
                    dispatch.dispatch(ClassifyAction::ModelFailed(too_large(&name, blob.size())));
                    return;
                }
                let load = *wanted.borrow() + 1;
                *wanted.borrow_mut() = load;
                dispatch.dispatch(ClassifyAction::ModelLoading);
                spawn_local(async move {
                    let file = blob_bytes(&blob).await.map(ModelFile::Bytes);
                    let c = ModelChoice::File(name);
                    let name = c.worker_name();
                    let load = (load, wanted);
                    if load_model(runner, session, dispatch, load, (name, None), file).await {
                        choice.set(c);
                    }
                });
            },
        )
    };

    let shown = v.shown.clone();
    // Keyed on the result and the model by identity (never compared value by value): the
    // views, and the `Rc`s the canvases get, are made once per result.
    let result = shown.as_ref().map(|s| ByPtr::of(&s.result));
    let summary = v.summary.as_ref().map(ByPtr::of);
    let views = use_memo((result.clone(), summary.clone()), |(r, m)| {
        r.as_ref()
            .map(|r| NetworkViews::new(r, m.as_ref().map(|m| &**m)))
    });
    let inspection = use_memo(
        (v.inspect.clone(), result, summary.clone()),
        |(pixel, result, summary)| match (pixel, result, summary) {
            (Some((layer, p)), Some(r), Some(m)) => Some(inspect(m, r, layer, *p).map(Rc::new)),
            _ => None,
        },
    );
    // One callback per map layer and one per dense layer, made once per result: a click
    // opens the value's receptive field, and on a convolution's maps (or its activation's)
    // the convolution behind the pixel too.
    let (on_pixel, on_unit) = {
        let dispatch = view.dispatcher();
        let made = use_memo(ByPtr::of(&views), move |views| {
            let Some(Ok(w)) = &**views else {
                return (Vec::new(), Vec::new());
            };
            let maps = w.maps.iter().map(|m| {
                let (dispatch, layer, explains) =
                    (dispatch.clone(), m.name.clone(), m.explains.clone());
                Callback::from(move |p: [usize; 3]| {
                    // A pixel no convolution explains closes the convolution of another.
                    let conv = explains.clone().map(|conv| (conv, p));
                    dispatch.dispatch(ClassifyAction::Inspect(conv));
                    dispatch.dispatch(ClassifyAction::Field(Some((layer.clone(), p))));
                })
            });
            let dense = w.dense.iter().map(|d| {
                let (dispatch, layer) = (dispatch.clone(), d.name.clone());
                Callback::from(move |k: usize| {
                    dispatch.dispatch(ClassifyAction::Inspect(None));
                    dispatch.dispatch(ClassifyAction::Field(Some((layer.clone(), [k, 0, 0]))));
                })
            });
            (maps.collect::<Vec<_>>(), dense.collect::<Vec<_>>())
        });
        (made.0.clone(), made.1.clone())
    };
    // The model's convolutions, shared once per model (the Filters panel keys on them), and
    // their names (the Explain panel's Grad-CAM layers).
    let convs = use_memo(summary, |m| m.as_ref().map(|m| Rc::new(m.convs.clone())));
    let conv_names = use_memo(ByPtr::of(&convs), |c| {
        Rc::new(
            (**c)
                .as_ref()
                .map(|c| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
                .unwrap_or_default(),
        )
    });

    // The class names of the probabilities shown, made once per model and class count.
    let n_classes = (*views)
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map_or(0, |w| w.probabilities.len());
    let classes = use_memo((v.summary.as_ref().map(ByPtr::of), n_classes), |(_, n)| {
        Rc::new((0..*n).map(|i| v.class_name(i)).collect::<Vec<_>>())
    });
    let on_close_inspect = use_callback(view.dispatcher(), |(), d| {
        d.dispatch(ClassifyAction::Inspect(None))
    });
    let on_close_field = use_callback(view.dispatcher(), |(), d| {
        d.dispatch(ClassifyAction::Field(None))
    });

    let model_panel = html! {
        <section class="panel" aria-labelledby="model-title">
            <h3 id="model-title">{"Model"}</h3>
            <ModelPicker choice={(*choice).clone()} summary={v.summary.as_ref().map(ByPtr::of)} loading={v.loading_model}
                error={v.model_error.clone().map(AttrValue::from)} on_choose={on_choose} on_file={on_model_file} />
        </section>
    };
    // The first answer first: the gallery's samples and the learned filters (some two
    // hundred canvases) are shown once the first prediction, or the reason there is none, has
    // been painted.
    let later = use_after_paint(
        shown.is_some()
            || v.model_error.is_some()
            || v.input_error.is_some()
            || v.gallery_error.is_some(),
    );
    let selected = v.selected_sample();
    let gallery = match (&v.gallery, &v.gallery_error) {
        (Some(g), _) => html! {
            <SampleGallery gallery={ByPtr::of(g)} selected={selected} on_pick={on_pick} shown={later} />
        },
        (None, Some(e)) => html! { <p class="error" role="alert">{ e.clone() }</p> },
        (None, None) => html! { <p class="pending">{"loading the test images…"}</p> },
    };
    let gallery_title = match dataset {
        Some(DatasetKind::Fashion) => "Fashion-MNIST test images",
        _ => "MNIST test images",
    };
    let mut explain = html! {};
    let (prediction, preprocessing) = match (&shown, &*views) {
        (Some(s), Some(Ok(w))) => {
            let c = &s.result;
            let source = s.source.describe();
            let original = match &s.source {
                Source::File { url, .. } => url
                    .clone()
                    .map_or(Original::Sample, |u| Original::Url(AttrValue::from(u))),
                Source::Drawing => Original::Pad,
                Source::Sample(_) | Source::Handed { .. } => Original::Sample,
            };
            let classes = (*classes).clone();
            explain = html! {
                <ExplainPanel model={AttrValue::from(c.model.clone())} input={ByPtr(w.input.clone())}
                    classes={ByPtr(classes.clone())} top={c.top} convs={ByPtr((*conv_names).clone())}
                    settings={(*explain_settings).clone()} on_settings={on_explain_settings.clone()} />
            };
            (
                html! {
                    <>
                        <Prediction label={v.class_name(c.top)} confidence={c.confidence}
                            micros={c.forward_micros} source={source}
                            settled={!(*stroking && s.source == Source::Drawing)} />
                        <ProbabilityChart probabilities={ByPtr(w.probabilities.clone())} classes={ByPtr(classes)} />
                        <SpeedCheck model={AttrValue::from(c.model.clone())} />
                    </>
                },
                html! {
                    <section class="panel" aria-labelledby="prep-title">
                        <h3 id="prep-title">{"Preprocessing"}</h3>
                        <PreprocessView original={original} stages={w.stages.clone().map(ByPtr)} input={ByPtr(w.input.clone())} />
                    </section>
                },
            )
        }
        (Some(_), Some(Err(e))) => (
            html! { <p class="error" role="alert">{ e.clone() }</p> },
            html! {},
        ),
        _ if v.cleared => (
            html! { <p class="pending" data-testid="cleared">{"The pad is clear: draw a digit, pick a test image or upload one."}</p> },
            html! {},
        ),
        _ => (
            html! { <p class="pending">{"waiting for the first classification…"}</p> },
            html! {},
        ),
    };
    let input_panel = html! {
        <section class="panel" aria-labelledby="input-title">
            <h3 id="input-title">{"Input and prediction"}</h3>
            <div class="classify-inputs">
                <div>
                    <h4>{"Draw"}</h4>
                    <DrawPad initial={ByPtr::of(&initial_drawing)} on_change={on_draw} />
                    <p class="muted small">{"Classified live while you draw, once per frame."}</p>
                    <h4>{"Upload"}</h4>
                    <ImageInput testid="drop-zone" file_testid="image-file" label="an image file"
                        on_file={on_image} on_refused={on_refused} />
                </div>
                <div>
                    <h4>{ gallery_title }<span class="muted small">{" — true labels; ✓/✗ once classified"}</span></h4>
                    { gallery }
                </div>
                <div class="classify-result" data-testid="result">
                    <h4>{"Prediction"}</h4>
                    { prediction }
                </div>
            </div>
            if let Some(e) = &v.input_error {
                <p class="error input-error" role="alert" data-testid="input-error">{ e.clone() }</p>
            }
        </section>
    };

    let inspect = v.inspect.clone();
    let field = v.field.clone();
    let maps = (*views).as_ref().and_then(|r| r.as_ref().ok()).map(|w| {
        let layers = w.maps.iter().enumerate().map(|(i, m)| {
            let l = &m.maps;
            let size = if l.rows >= IMAGE_SIZE {
                112.0
            } else if l.rows >= 10 {
                70.0
            } else {
                50.0
            };
            // The pixel whose field is open on this layer, else the one whose convolution is.
            let f = field
                .as_ref()
                .and_then(|(fl, p)| (*fl == m.name).then_some(*p))
                .or_else(|| {
                    inspect
                        .as_ref()
                        .and_then(|(fl, p)| (Some(fl) == m.explains.as_ref()).then_some(*p))
                });
            let note = if m.explains.is_some() {
                "click a pixel to see the convolution that produced it and the input it sees. Keyboard: Tab to the layer's maps, Enter explains the outlined pixel (the centre when none), the arrows move it, Page Up / Page Down (or [ / ]) switch maps"
            } else {
                "click a pixel to see the input it sees (its receptive field). Keyboard: Tab to the layer's maps, Enter traces the outlined pixel, the arrows move it, Page Up / Page Down switch maps"
            };
            html! {
                <FeatureMaps title={m.title()} layer={ByPtr::of(l)} testid={format!("map-{}", m.name)}
                    size={size} on_pixel={on_pixel.get(i).cloned()} focus={f} note={note} />
            }
        });
        let dense = w.dense.iter().enumerate().map(|(i, d)| {
            let selected = field
                .as_ref()
                .and_then(|(fl, [k, _, _])| (*fl == d.name).then_some(*k));
            html! {
                <DenseBars title={d.title.clone()} values={ByPtr::of(&d.values)} testid={format!("dense-{}", d.name)}
                    on_unit={on_unit.get(i).cloned()} selected={selected} />
            }
        });
        let field_panel = match (&field, &shown) {
            (Some((layer, unit)), Some(s)) => {
                html! {
                    <FieldPanel model={AttrValue::from(s.result.model.clone())} input={ByPtr(w.input.clone())}
                        layer={AttrValue::from(layer.clone())} unit={*unit} take_focus={inspect.is_none()}
                        on_close={on_close_field.clone()} />
                }
            }
            _ => html! {},
        };
        html! {
            <>
                <section class="panel" aria-labelledby="maps-title" data-testid="feature-maps">
                    <h3 id="maps-title">{"Feature maps"}</h3>
                    { for layers }
                </section>
                { inspector_panel(&inspection, &on_close_inspect) }
                { field_panel }
                <section class="panel" aria-labelledby="dense-title">
                    <h3 id="dense-title">{"Dense layers"}</h3>
                    <p class="muted small">{"click a unit (or Tab to it and use the arrows) to see the input it sees"}</p>
                    <div class="dense-row">{ for dense }</div>
                </section>
            </>
        }
    });
    let class_names = use_memo(v.summary.as_ref().map(ByPtr::of), |s| {
        Rc::new(
            s.as_ref()
                .map(|s| s.class_names.clone())
                .unwrap_or_default(),
        )
    });
    let filters = (*convs).clone().zip(v.summary.as_ref()).filter(|_| later).map(|(convs, summary)| {
        html! {
            <section class="panel" aria-labelledby="filters-title">
                <h3 id="filters-title">{"Learned filters"}</h3>
                <FilterLooksPanel model={AttrValue::from(summary.name.clone())} dataset={dataset}
                    gallery={v.gallery.as_ref().map(ByPtr::of)} convs={ByPtr(convs.clone())} classes={ByPtr((*class_names).clone())} />
                <Filters convs={ByPtr(convs)} />
            </section>
        }
    });
    html! {
        <section class="page lab classify" aria-labelledby="page-title">
            <h2 id="page-title">{ Route::Classify.title() }</h2>
            <p class="lead">{"A network running in a web worker (LeNet-5, a residual network, or any weights file convscope wrote) classifies what you draw, pick or upload. Every layer is shown; click a feature-map pixel of a convolution to see how it was computed."}</p>
            { model_panel }
            { input_panel }
            { explain }
            { preprocessing }
            // One node each, present or not: an `Option` is zero or one node, and yew matches
            // a list's children from its end, so a panel appearing here would otherwise
            // rebuild every panel above it (the drawing pad, mid-stroke, among them).
            { maps.unwrap_or_default() }
            { filters.unwrap_or_default() }
        </section>
    }
}

fn inspector_panel(
    inspection: &Option<Result<Rc<crate::lab::classify::Inspection>, String>>,
    on_close: &Callback<()>,
) -> Html {
    match inspection {
        Some(Ok(i)) => html! {
            <Inspector inspection={ByPtr::of(i)} on_close={on_close.clone()} />
        },
        Some(Err(e)) => html! {
            <section class="panel"><p class="error" role="alert" data-testid="inspect-error">{ e.clone() }</p></section>
        },
        None => html! {},
    }
}
