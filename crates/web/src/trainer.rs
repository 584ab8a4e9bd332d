//! The training worker: a network trained in its own web worker, separate from the
//! Classify page's, so classifying stays instant while a run goes on.
//!
//! The page talks to it through a reactor bridge ([`TrainAgent`]): it sends
//! [`TrainInput`]s and receives [`TrainOutput`]s. The run itself does not belong to a
//! bridge: it lives in the worker ([`session`]) and goes on while the visitor is on another
//! page; a page that connects gets the whole state ([`TrainView`]) and then a stream of
//! [`Tick`]s, [`Snapshot`]s and new states.
//!
//! - [`session`]: the run, its time slices, pause / resume / stop / reset, the saves in
//!   IndexedDB and the restore after a reload.
//! - [`host`]: the page's side: the one worker, started from the checked script, and
//!   [`host::use_trainer`].
//! - [`data`]: MNIST / Fashion-MNIST chunks fetched through the Cache API.

pub mod data;
pub mod host;
pub mod session;

pub use session::saved_weights;

use convscope_core::data::DatasetKind;
use convscope_core::nn::run::{AugmentKind, History, Mistake, Point, RunConfig};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use yew_agent::prelude::*;

use crate::agent::{ConvSummary, LayerOutput};

/// Where Trunk emits the training worker's JavaScript (see `index.html`).
pub const TRAINER_PATH: &str = "/trainer.js";

/// What a run is asked to do: the core's configuration plus how much data to use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Dataset, epochs, batch, optimizer, learning rate, schedule, decay, augmentation, seed.
    pub run: RunConfig,
    /// Training images used (the first ones of the shuffled set).
    pub train_images: usize,
    /// Test images scored after each epoch.
    pub test_images: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            run: RunConfig {
                epochs: 3,
                ..RunConfig::default()
            },
            train_images: 8_000,
            test_images: 2_000,
        }
    }
}

impl TrainSettings {
    /// The training and test images the app serves of `kind` (`dist/data/`, written by
    /// `cargo xtask build`): MNIST's 10,000 test digits split 8,000 / 2,000, Fashion-MNIST's
    /// 60,000 / 10,000.
    pub fn images_available(kind: DatasetKind) -> (usize, usize) {
        match kind {
            DatasetKind::Mnist => (8_000, 2_000),
            DatasetKind::Fashion => (60_000, 10_000),
        }
    }

    /// Switches to `kind`, keeping the image counts within what it has and the
    /// augmentation one it can take (the robust one is for digits).
    pub fn set_dataset(&mut self, kind: DatasetKind) {
        self.run.dataset = kind;
        let (train, test) = Self::images_available(kind);
        self.train_images = self.train_images.min(train);
        self.test_images = self.test_images.min(test);
        if kind == DatasetKind::Fashion && self.run.augment == Some(AugmentKind::Robust) {
            self.run.augment = Some(AugmentKind::Basic);
        }
    }

    /// Whether the image counts are within the dataset's.
    ///
    /// # Errors
    /// The field and the range it must be in.
    pub fn check_images(&self) -> Result<(), String> {
        let kind = self.run.dataset;
        let (train, test) = Self::images_available(kind);
        for (what, asked, have) in [
            ("Training images", self.train_images, train),
            ("Test images", self.test_images, test),
        ] {
            if asked == 0 || asked > have {
                return Err(format!(
                    "{what}: {} has {}; choose between 1 and {}",
                    kind.title(),
                    convscope_core::format::thousands(have as u64),
                    convscope_core::format::thousands(have as u64)
                ));
            }
        }
        Ok(())
    }
}

/// What the page asks the training worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TrainInput {
    /// Send the whole state (the page just connected).
    Connect,
    /// Start a new run of the network `network` (text form or JSON), replacing any other.
    Start {
        /// The description.
        network: String,
        /// The settings.
        settings: TrainSettings,
    },
    /// Start a new run that goes on training the weights in a `.safetensors` file.
    Continue {
        /// The file.
        bytes: Vec<u8>,
        /// The settings.
        settings: TrainSettings,
    },
    /// Pause after the current slice of batches (and save).
    Pause,
    /// Go on after a pause or a reload.
    Resume,
    /// End the run where it stands; its weights stay to download or classify with.
    Stop,
    /// Forget the run and its save.
    Reset,
    /// Send the current weights as a `.safetensors` file.
    Export,
}

/// Where the run stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Status {
    /// No run.
    Idle,
    /// Fetching data: `done` of `total` files.
    Loading {
        /// What is being fetched.
        what: String,
        /// Files fetched.
        done: usize,
        /// Files to fetch.
        total: usize,
    },
    /// Training.
    Running,
    /// Paused (or restored after a reload): Resume goes on.
    Paused,
    /// Every epoch done.
    Finished,
    /// Stopped by the visitor.
    Stopped,
    /// The run failed: why.
    Failed(String),
}

impl Status {
    /// A run exists whose weights can be used.
    pub fn has_run(&self) -> bool {
        matches!(
            self,
            Self::Running | Self::Paused | Self::Finished | Self::Stopped
        )
    }
}

/// Progress since the last tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    /// Optimizer steps taken.
    pub step: u64,
    /// Epochs finished.
    pub epochs_done: u32,
    /// Epochs asked for.
    pub epochs: u32,
    /// Images of the current epoch trained on.
    pub position: usize,
    /// Training images per epoch.
    pub train_len: usize,
    /// The current epoch's mean loss so far.
    pub loss: f64,
    /// The current epoch's accuracy so far.
    pub accuracy: f64,
    /// Training images per second over the last slice of batches.
    pub images_per_second: f64,
    /// The learning rate.
    pub lr: f32,
    /// History points recorded since the previous tick.
    pub points: Vec<Point>,
}

/// The first convolution's filters and one fixed test image's maps after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Optimizer steps when it was taken.
    pub step: u64,
    /// The first convolution (its filters).
    pub conv: Option<ConvSummary>,
    /// The test image (28×28).
    pub input: Vec<f32>,
    /// Its maps after the first convolution (and its activation, when one follows).
    pub maps: Vec<LayerOutput>,
}

/// A test image the network gets wrong, with its pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrongImage {
    /// What the core found.
    pub mistake: Mistake,
    /// Its 28×28 pixels.
    pub pixels: Vec<f32>,
}

/// The whole state the page draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainView {
    /// Where the run stands.
    pub status: Status,
    /// The network's text form (empty without a run).
    pub network: String,
    /// Its settings.
    pub settings: TrainSettings,
    /// Class names of the dataset.
    pub class_names: Vec<String>,
    /// Parameters of the network.
    pub parameters: u64,
    /// Points and finished epochs.
    pub history: History,
    /// The last progress.
    pub tick: Option<Tick>,
    /// The last filters and maps.
    pub snapshot: Option<Snapshot>,
    /// The test images the network got most wrong after the last epoch.
    pub wrong: Vec<WrongImage>,
    /// Something the visitor should know (restored after a reload, saving unavailable).
    pub notice: Option<String>,
    /// Where the data files came from (the network or this browser's cache).
    #[serde(default)]
    pub data_source: Option<String>,
}

impl Default for TrainView {
    fn default() -> Self {
        Self {
            status: Status::Idle,
            network: String::new(),
            settings: TrainSettings::default(),
            class_names: Vec::new(),
            parameters: 0,
            history: History::default(),
            tick: None,
            snapshot: None,
            wrong: Vec::new(),
            notice: None,
            data_source: None,
        }
    }
}

/// What the training worker sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TrainOutput {
    /// The whole state (on connecting and whenever the status or an epoch changes).
    View(Box<TrainView>),
    /// Progress, several times a second while running.
    Tick(Tick),
    /// New filters and maps.
    Snapshot(Box<Snapshot>),
    /// The weights file asked for by [`TrainInput::Export`], or why there is none.
    Weights(Result<Vec<u8>, String>),
}

/// The reactor the training worker registers: each bridge (a mounted Train page) sends
/// inputs to the worker's one session and receives its outputs.
#[reactor]
pub async fn TrainAgent(scope: ReactorScope<TrainInput, TrainOutput>) {
    let (mut sink, mut inputs) = scope.split();
    let (tx, mut outputs) = futures::channel::mpsc::unbounded::<TrainOutput>();
    let id = session::subscribe(tx);
    let forward = async move {
        while let Some(out) = outputs.next().await {
            if sink.send(out).await.is_err() {
                break;
            }
        }
    };
    let receive = async move {
        while let Some(input) = inputs.next().await {
            session::handle(input);
        }
    };
    futures::pin_mut!(forward, receive);
    futures::future::select(forward, receive).await;
    session::unsubscribe(id);
}
