//! The worker's one training session: the run, the data it trains on, the pages connected
//! to it, and the loop that trains in slices of about 100 ms so that messages (pause, a
//! new connection) are answered between slices.
//!
//! Saves: after every epoch, on pause and on stop, the run's [`Checkpoint`] (weights,
//! optimizer state, progress and history) and the page's part (network text, settings,
//! status, snapshot, mistakes) go to IndexedDB in one transaction. When the worker starts
//! (a reload, a new tab) the first connection restores the save, paused, with a notice;
//! a run saved while it was still running was interrupted, and the notice says from where
//! it resumes.

use std::cell::RefCell;
use std::rc::Rc;

use convscope_core::arch::Architecture;
use convscope_core::data::Dataset;
use convscope_core::nn::Workspace;
use convscope_core::nn::run::{Checkpoint, Run};
use convscope_core::weights::from_safetensors;
use futures::channel::mpsc::UnboundedSender;
use serde::{Deserialize, Serialize};
use wasm_bindgen_futures::spawn_local;

use super::data;
use super::{
    Snapshot, Status, Tick, TrainInput, TrainOutput, TrainSettings, TrainView, WrongImage,
};
use crate::agent::classify::{layer_outputs, now_ms};
use crate::agent::model::summarize;
use crate::storage::{Store, StoredValue};

/// Milliseconds of training between two looks at the message queue.
const SLICE_MS: f64 = 100.0;
/// Steps between two snapshots of the filters and maps.
const SNAPSHOT_EVERY: u64 = 200;
/// Mistakes shown after each epoch.
const MISTAKES: usize = 12;

/// IndexedDB keys of a save.
const KEY_WEIGHTS: &str = "train/weights";
const KEY_OPTIMIZER: &str = "train/optimizer";
const KEY_RUN: &str = "train/run";
const KEY_PAGE: &str = "train/page";

/// The page's part of a save.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedPage {
    network: String,
    settings: TrainSettings,
    /// The status when saved: `Running` means the save was made between epochs of a run
    /// that went on.
    status: Status,
    class_names: Vec<String>,
    snapshot: Option<Snapshot>,
    wrong: Vec<WrongImage>,
}

#[derive(Default)]
struct Session {
    view: TrainView,
    run: Option<Run>,
    data: Option<Rc<data::Loaded>>,
    /// Bumped by every start and reset: loops and loads of an older run stop.
    generation: u64,
    looping: bool,
    /// When the last slice ended (`performance.now()` ms), while the loop runs: a slice's
    /// time counts from there, so the epochs' seconds and images/s are wall-clock figures
    /// (the yield between slices, the ticks and snapshots included).
    slice_end: Option<f64>,
    restore_started: bool,
    /// The save is being read: connections get the view once it is restored (or not).
    restoring: bool,
    subscribers: Vec<(usize, UnboundedSender<TrainOutput>)>,
    next_id: usize,
    /// History points already sent in ticks.
    points_sent: usize,
}

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::default());
}

fn with<T>(f: impl FnOnce(&mut Session) -> T) -> T {
    SESSION.with(|s| f(&mut s.borrow_mut()))
}

impl Session {
    fn broadcast(&mut self, out: &TrainOutput) {
        self.subscribers
            .retain(|(_, tx)| tx.unbounded_send(out.clone()).is_ok());
    }

    fn send_view(&mut self) {
        // The history as the run has it: the points of an epoch under way reach the page in
        // ticks, and a view (a pause, say) replaces the page's, so it carries them too.
        if let Some(run) = &self.run {
            self.view.history = run.history().clone();
        }
        self.points_sent = self.view.history.points.len();
        let view = TrainOutput::View(Box::new(self.view.clone()));
        self.broadcast(&view);
    }

    fn set_status(&mut self, status: Status) {
        self.view.status = status;
        self.send_view();
    }

    fn sync_from_run(&mut self) {
        if let Some(run) = &self.run {
            self.view.tick = Some(tick(run, 0.0, Vec::new()));
        }
    }
}

fn tick(run: &Run, images_per_second: f64, points: Vec<convscope_core::nn::run::Point>) -> Tick {
    let (loss, accuracy) = run.epoch_so_far();
    Tick {
        step: run.steps(),
        epochs_done: run.epochs_done(),
        epochs: run.config().epochs,
        position: run.position(),
        train_len: run.train_len(),
        loss,
        accuracy,
        images_per_second,
        lr: run.learning_rate(),
        points,
    }
}

/// A new connection: returns its id; the first one restores the last save.
pub fn subscribe(tx: UnboundedSender<TrainOutput>) -> usize {
    let (id, restore) = with(|s| {
        s.next_id += 1;
        s.subscribers.push((s.next_id, tx));
        let restore = !s.restore_started;
        s.restore_started = true;
        s.restoring |= restore;
        (s.next_id, restore)
    });
    if restore {
        spawn_local(restore_save());
    }
    id
}

/// A connection closed.
pub fn unsubscribe(id: usize) {
    with(|s| s.subscribers.retain(|(i, _)| *i != id));
}

/// Answers one input.
pub fn handle(input: TrainInput) {
    match input {
        TrainInput::Connect => with(|s| {
            // While the save is read, the restore sends the view when it is done.
            if !s.restoring {
                s.send_view();
            }
        }),
        TrainInput::Start { network, settings } => start(Source::Text(&network), settings),
        TrainInput::Continue { bytes, settings } => start(Source::File(&bytes), settings),
        TrainInput::Pause => with(|s| {
            if s.view.status == Status::Running {
                // The loop saves as it stops.
                s.set_status(Status::Paused);
            }
        }),
        TrainInput::Resume => resume(),
        TrainInput::Stop => {
            let save = with(|s| {
                if s.run.is_some() && matches!(s.view.status, Status::Running | Status::Paused) {
                    let was_looping = s.looping;
                    s.set_status(Status::Stopped);
                    !was_looping
                } else {
                    false
                }
            });
            if save {
                spawn_local(async {
                    save_run().await;
                });
            }
        }
        TrainInput::Reset => {
            with(|s| {
                s.generation += 1;
                s.run = None;
                let settings = s.view.settings;
                s.view = TrainView {
                    settings,
                    ..TrainView::default()
                };
                s.send_view();
            });
            spawn_local(async {
                if let Ok(store) = Store::open().await {
                    for key in [KEY_WEIGHTS, KEY_OPTIMIZER, KEY_RUN, KEY_PAGE] {
                        let _ = store.delete(key).await;
                    }
                }
            });
        }
        TrainInput::Export => with(|s| {
            let out = match &s.run {
                Some(run) => run.weights().map_err(|e| e.to_string()),
                None => Err("there is no trained network yet: start a run first".into()),
            };
            s.broadcast(&TrainOutput::Weights(out));
        }),
    }
}

fn fail(generation: u64, message: String) {
    with(|s| {
        if s.generation == generation {
            s.set_status(Status::Failed(message));
        }
    });
}

/// What a new run trains: a description, or the network and weights of a file.
enum Source<'a> {
    Text(&'a str),
    File(&'a [u8]),
}

fn start(source: Source<'_>, mut settings: TrainSettings) {
    // The network and the settings are checked before any data is fetched. A file that
    // names its dataset goes on learning that one (the page then shows it).
    let built = match source {
        Source::File(bytes) => {
            from_safetensors(bytes)
                .map_err(|e| e.to_string())
                .and_then(|(net, meta)| {
                    if let Some(kind) = meta.dataset {
                        settings.set_dataset(kind);
                    }
                    Run::with_network(net, settings.run, settings.train_images)
                        .map_err(|e| e.to_string())
                })
        }
        Source::Text(network) => Architecture::parse_description(network)
            .map_err(|e| e.to_string())
            .and_then(|arch| {
                Run::new(&arch, settings.run, settings.train_images).map_err(|e| e.to_string())
            }),
    };
    let generation = with(|s| {
        s.generation += 1;
        s.run = None;
        s.view = TrainView {
            settings,
            ..TrainView::default()
        };
        s.generation
    });
    let run = match built.and_then(|run| settings.check_images().map(|()| run)) {
        Ok(run) => run,
        Err(e) => return fail(generation, e),
    };
    with(|s| {
        s.view.network = run.network().description().to_text();
        s.view.parameters = run.network().parameter_count();
        s.run = Some(run);
        s.data = None;
    });
    spawn_local(async move {
        if load_data(generation).await {
            with(|s| {
                if s.generation == generation {
                    s.view.snapshot = snapshot(s);
                    s.sync_from_run();
                    s.set_status(Status::Running);
                }
            });
            train_loop(generation).await;
        }
    });
}

/// Fetches the data the run needs unless they are in memory; false when it failed or the
/// run was replaced meanwhile.
async fn load_data(generation: u64) -> bool {
    let settings = with(|s| s.view.settings);
    let kind = settings.run.dataset;
    let have = with(|s| {
        s.data.as_ref().is_some_and(|d| {
            d.train.len() == settings.train_images && d.test.len() == settings.test_images
        })
    });
    if have {
        with(|s| {
            s.view.data_source = Some(format!(
                "{}: the images of the last run, still in memory",
                kind.title()
            ));
        });
        return true;
    }
    let what = format!(
        "{} ({} training and {} test images)",
        kind.name(),
        settings.train_images,
        settings.test_images
    );
    let progress = |done: usize, total: usize| {
        with(|s| {
            if s.generation == generation {
                s.set_status(Status::Loading {
                    what: what.clone(),
                    done,
                    total,
                });
            }
        });
    };
    match data::load(kind, settings.train_images, settings.test_images, &progress).await {
        Ok(loaded) => with(|s| {
            if s.generation != generation {
                return false;
            }
            s.view.class_names = loaded.classes.clone();
            s.view.data_source = Some(data_source(kind.title(), &loaded));
            s.data = Some(Rc::new(loaded));
            true
        }),
        Err(e) => {
            fail(generation, format!("the data could not be loaded: {e}"));
            false
        }
    }
}

/// Where the data files came from, for the page.
fn data_source(dataset: &str, loaded: &data::Loaded) -> String {
    let (cached, all) = (loaded.from_cache, loaded.chunks);
    if cached == all {
        format!(
            "{dataset}: all {all} data files read from this browser's cache (nothing downloaded)"
        )
    } else {
        format!(
            "{dataset}: {} of {all} data files downloaded, {cached} read from this browser's cache",
            all - cached
        )
    }
}

/// The first convolution's filters and the first test image's maps after it.
fn snapshot(s: &Session) -> Option<Snapshot> {
    let run = s.run.as_ref()?;
    let data = s.data.as_ref()?;
    let net = run.network();
    let input = data.test.image(0).ok()?.to_vec();
    let summary = summarize(
        "training",
        net,
        &convscope_core::weights::ModelMetadata::new(run.config().dataset),
    )
    .ok()?;
    let conv = summary.convs.into_iter().next();
    let mut ws = Workspace::new();
    net.infer(&input, 1, &mut ws).ok()?;
    let outputs = layer_outputs(net, &ws);
    let maps = match &conv {
        Some(c) => {
            let after: Vec<&str> = std::iter::once(c.name.as_str())
                .chain(c.activation.as_ref().map(|(n, _)| n.as_str()))
                .collect();
            outputs
                .into_iter()
                .filter(|o| after.contains(&o.name.as_str()))
                .collect()
        }
        None => Vec::new(),
    };
    Some(Snapshot {
        step: run.steps(),
        conv,
        input,
        maps,
    })
}

fn mistakes(run: &Run, test: &Dataset) -> Vec<WrongImage> {
    run.most_wrong(test, MISTAKES)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| {
            Some(WrongImage {
                pixels: test.image(m.index).ok()?.to_vec(),
                mistake: m,
            })
        })
        .collect()
}

enum Slice {
    Continue,
    Save,
    SaveAndExit,
    Exit,
}

/// Trains for about [`SLICE_MS`]; finishes an epoch when its images are all seen.
fn slice(s: &mut Session, generation: u64) -> Slice {
    if s.generation != generation {
        return Slice::Exit;
    }
    if s.view.status != Status::Running {
        return Slice::SaveAndExit;
    }
    let (Some(run), Some(data)) = (s.run.as_mut(), s.data.clone()) else {
        return Slice::Exit;
    };
    let start = s.slice_end.or_else(now_ms).unwrap_or(0.0);
    let mut images = 0usize;
    let mut epoch_done = false;
    let mut snapshot_due = false;
    loop {
        match run.step(&data.train) {
            Ok(step) => {
                images += step.stats.count;
                snapshot_due |= run.steps().is_multiple_of(SNAPSHOT_EVERY);
                if step.epoch_done {
                    epoch_done = true;
                    break;
                }
            }
            Err(e) => {
                s.set_status(Status::Failed(e.to_string()));
                return Slice::SaveAndExit;
            }
        }
        if now_ms().unwrap_or(f64::INFINITY) - start >= SLICE_MS {
            break;
        }
    }
    let end = now_ms().unwrap_or(start);
    s.slice_end = Some(end);
    let seconds = (end - start) / 1000.0;
    run.spent(seconds);
    let rate = images as f64 / seconds.max(1e-6);
    let points = run.history().points[s.points_sent.min(run.history().points.len())..].to_vec();
    s.points_sent = run.history().points.len();
    let t = tick(run, rate, points);
    s.view.tick = Some(t.clone());
    if epoch_done {
        // The test pass and the save are not training time.
        s.slice_end = None;
        if let Err(e) = run.finish_epoch(&data.test) {
            s.set_status(Status::Failed(e.to_string()));
            return Slice::SaveAndExit;
        }
        s.view.wrong = mistakes(run, &data.test);
        let finished = run.is_finished();
        s.view.snapshot = snapshot(s);
        s.sync_from_run();
        if finished {
            s.set_status(Status::Finished);
            return Slice::SaveAndExit;
        }
        s.send_view();
        return Slice::Save;
    }
    s.broadcast(&TrainOutput::Tick(t));
    if snapshot_due && let Some(snap) = snapshot(s) {
        s.view.snapshot = Some(snap.clone());
        s.broadcast(&TrainOutput::Snapshot(Box::new(snap)));
    }
    Slice::Continue
}

/// Yields to the worker's event loop (messages are delivered), then continues.
async fn yield_now() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

async fn train_loop(generation: u64) {
    let already = with(|s| std::mem::replace(&mut s.looping, true));
    if already {
        return;
    }
    with(|s| s.slice_end = None);
    loop {
        yield_now().await;
        match with(|s| slice(s, generation)) {
            Slice::Continue => {}
            Slice::Save => save_run().await,
            Slice::SaveAndExit => {
                with(|s| s.looping = false);
                if with(|s| s.generation == generation) {
                    save_run().await;
                }
                return;
            }
            Slice::Exit => break,
        }
    }
    with(|s| s.looping = false);
}

fn resume() {
    let generation = with(|s| {
        if s.view.status == Status::Paused && s.run.is_some() {
            Some(s.generation)
        } else {
            None
        }
    });
    let Some(generation) = generation else {
        return;
    };
    spawn_local(async move {
        if load_data(generation).await {
            with(|s| {
                if s.generation == generation {
                    s.view.notice = None;
                    s.set_status(Status::Running);
                }
            });
            train_loop(generation).await;
        }
    });
}

/// Saves the run and the page's part in one transaction; a failure becomes the notice.
async fn save_run() {
    let parts = with(|s| {
        let run = s.run.as_ref()?;
        let checkpoint = run.checkpoint();
        let page = SavedPage {
            network: s.view.network.clone(),
            settings: s.view.settings,
            status: s.view.status.clone(),
            class_names: s.view.class_names.clone(),
            snapshot: s.view.snapshot.clone(),
            wrong: s.view.wrong.clone(),
        };
        Some((checkpoint, serde_json::to_string(&page)))
    });
    let Some((checkpoint, page)) = parts else {
        return;
    };
    let result = async {
        let checkpoint = checkpoint.map_err(|e| e.to_string())?;
        let page = page.map_err(|e| e.to_string())?;
        let store = Store::open().await.map_err(|e| e.to_string())?;
        store
            .put_all(&[
                (KEY_WEIGHTS, StoredValue::Bytes(&checkpoint.weights)),
                (KEY_OPTIMIZER, StoredValue::Bytes(&checkpoint.optimizer)),
                (KEY_RUN, StoredValue::Text(&checkpoint.run)),
                (KEY_PAGE, StoredValue::Text(&page)),
            ])
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    if let Err(e) = result {
        with(|s| {
            s.view.notice = Some(format!("Progress is not saved: {e}"));
            s.send_view();
        });
    }
}

/// The weights file of the run saved in this browser (the Classify page's "the network you
/// trained" after a reload), or why there is none.
///
/// # Errors
/// When storage is unavailable or holds no run.
pub async fn saved_weights() -> Result<Vec<u8>, String> {
    let store = Store::open().await.map_err(|e| {
        format!("the trained network cannot be read from this browser's storage: {e}")
    })?;
    match store.get_bytes(KEY_WEIGHTS).await {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(
            "no trained network is saved in this browser: train one on the Train page (it is saved after every epoch and on pause)"
                .to_owned(),
        ),
        Err(e) => Err(format!("the trained network cannot be read: {e}")),
    }
}

/// Reads the last save, if any, and restores it paused.
async fn restore_save() {
    let generation = with(|s| s.generation);
    let read = async {
        let store = Store::open().await.map_err(|e| e.to_string())?;
        let page = store.get_text(KEY_PAGE).await.map_err(|e| e.to_string())?;
        let Some(page) = page else {
            return Ok(None);
        };
        let weights = store
            .get_bytes(KEY_WEIGHTS)
            .await
            .map_err(|e| e.to_string())?;
        let optimizer = store
            .get_bytes(KEY_OPTIMIZER)
            .await
            .map_err(|e| e.to_string())?;
        let run = store.get_text(KEY_RUN).await.map_err(|e| e.to_string())?;
        let (Some(weights), Some(optimizer), Some(run)) = (weights, optimizer, run) else {
            return Err("the save is incomplete".to_owned());
        };
        let page: SavedPage = serde_json::from_str(&page).map_err(|e| e.to_string())?;
        let run = Run::resume(&Checkpoint {
            weights,
            optimizer,
            run,
        })
        .map_err(|e| e.to_string())?;
        Ok::<_, String>(Some((page, run)))
    }
    .await;
    with(|s| {
        s.restoring = false;
        if s.generation != generation || s.run.is_some() {
            s.send_view();
            return;
        }
        match read {
            Ok(None) => s.send_view(),
            Ok(Some((page, run))) => {
                let where_ = if run.position() == 0 {
                    format!("after epoch {}", run.epochs_done())
                } else {
                    format!(
                        "in epoch {}, image {} of {}",
                        run.epochs_done() + 1,
                        run.position(),
                        run.train_len()
                    )
                };
                let finished = run.is_finished();
                s.view.notice = Some(match page.status {
                    Status::Running => format!(
                        "This run was interrupted (the page was reloaded or closed while it trained). It resumes from its last save, {where_}, step {}.",
                        run.steps()
                    ),
                    _ if finished => {
                        "Restored the finished run from this browser's storage.".to_owned()
                    }
                    _ => format!(
                        "Restored the paused run from this browser's storage: {where_}, step {}.",
                        run.steps()
                    ),
                });
                s.view.network = page.network;
                s.view.settings = page.settings;
                s.view.class_names = page.class_names;
                s.view.snapshot = page.snapshot;
                s.view.wrong = page.wrong;
                s.view.parameters = run.network().parameter_count();
                s.run = Some(run);
                s.sync_from_run();
                let status = match page.status {
                    Status::Stopped => Status::Stopped,
                    _ if finished => Status::Finished,
                    _ => Status::Paused,
                };
                s.set_status(status);
            }
            Err(e) => {
                s.view.notice = Some(format!(
                    "No saved run could be restored ({e}); training still works, but a reload starts over."
                ));
                s.send_view();
            }
        }
    });
}
